import { ackSchema, type CredentialRotate } from "@labfleet/protocol";
import { z } from "zod";
import type { Logger } from "../logger.ts";
import type { Db } from "../services/deps.ts";
import {
  confirmCredential,
  dropIssuedCredential,
  issueRotatedCredential,
  rotationRequested,
} from "../services/device-credential.ts";

/** How long the agent has to write the new secret and say so; without an answer the rotation retries on reconnect. */
export const ROTATE_ACK_TIMEOUT_MS = 10_000;

const storedAckSchema = ackSchema(z.object({ stored: z.literal(true) }));

/** The part of an agent socket a rotation uses. */
export interface RotationSocket {
  connected: boolean;
  on(event: "disconnect", listener: () => void): unknown;
  timeout(ms: number): { emitWithAck(event: "credential:rotate", payload: CredentialRotate): Promise<unknown> };
}

/**
 * - `rotated`: the agent stored the new secret; the old one is refused from now on.
 * - `pending`: the device is not connected to this process, or did not answer: it rotates when it next connects,
 *   and until then its current secret keeps working.
 * - `none`: no rotation was asked for.
 */
export type RotationOutcome = "rotated" | "pending" | "none";

interface Connected {
  socket: RotationSocket;
  db: Db;
  log: Logger;
  ackTimeoutMs: number;
}

// Per process, keyed by device: the router reaches a connected agent here without going through the hub.
// Several control planes in one process (tests) share it safely, since device ids are unique.
const connected = new Map<string, Connected>();
const inFlight = new Map<string, Promise<RotationOutcome>>();
const attached = new WeakSet<RotationSocket>();

/**
 * Call on every authenticated agent connection. A rotation asked for while the device was away, or one that a
 * crash cut short (no ack came), runs now.
 */
export function attachCredentialRotation(
  socket: RotationSocket,
  deviceId: string,
  deps: { db: Db; log: Logger; ackTimeoutMs?: number },
): void {
  // Idempotent per socket, so that a second registration cannot send two rotations.
  if (attached.has(socket)) return;
  attached.add(socket);
  const entry: Connected = {
    socket,
    db: deps.db,
    log: deps.log,
    ackTimeoutMs: deps.ackTimeoutMs ?? ROTATE_ACK_TIMEOUT_MS,
  };
  connected.set(deviceId, entry);
  socket.on("disconnect", () => {
    if (connected.get(deviceId) === entry) connected.delete(deviceId);
  });
  // A rotation still waiting for the previous socket's answer would not reach this one: start after it.
  const previous = inFlight.get(deviceId) ?? Promise.resolve();
  previous
    .catch(() => undefined)
    .then(() => rotateIfConnected(deviceId))
    .catch((err: unknown) => deps.log.error({ err }, "credential rotation failed"));
}

/** Rotates now when the device is connected to this process and a rotation waits; one at a time per device. */
export function rotateIfConnected(deviceId: string): Promise<RotationOutcome> {
  const running = inFlight.get(deviceId);
  if (running) return running;
  const entry = connected.get(deviceId);
  if (!entry) return Promise.resolve("pending");
  const p = rotate(deviceId, entry).finally(() => inFlight.delete(deviceId));
  inFlight.set(deviceId, p);
  return p;
}

async function rotate(deviceId: string, entry: Connected): Promise<RotationOutcome> {
  const { db, log, socket } = entry;
  if (!(await rotationRequested(db, deviceId))) return "none";
  if (!socket.connected) return "pending";
  const issued = await issueRotatedCredential(db, deviceId);
  if (!issued) return "none";
  let answer: unknown;
  try {
    answer = await socket.timeout(entry.ackTimeoutMs).emitWithAck("credential:rotate", { secret: issued.secret });
  } catch {
    // The agent may have written the secret and died before answering: both secrets stay valid, and whichever
    // it connects with next settles it (the new one completes the rotation, the old one starts another).
    log.warn({ deviceId }, "no answer to the credential rotation; it completes when the device reconnects");
    return "pending";
  }
  const ack = storedAckSchema.safeParse(answer);
  if (!ack.success) {
    // Not knowing whether it stored the secret, keep both valid, as for a lost answer.
    log.warn({ deviceId }, "invalid answer to the credential rotation; it completes when the device reconnects");
    return "pending";
  }
  if (!ack.data.ok) {
    // The agent says it kept its old secret (it could not write the file): the new one must not linger.
    await dropIssuedCredential(db, deviceId, issued.credentialId);
    log.warn(
      { deviceId, code: ack.data.error.code },
      "the agent could not store its new credential; it keeps the old one",
    );
    return "pending";
  }
  await confirmCredential(db, deviceId, issued.credentialId);
  log.info({ deviceId }, "device credential rotated");
  return "rotated";
}
