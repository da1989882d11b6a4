// Helpers for the fault tests: enrolled agents, credential checks, and the rotation wiring of a test control plane.
import { type ChildProcess, spawn } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AGENT_NAMESPACE, PROTOCOL_VERSION } from "@labfleet/protocol";
import superjson, { type SuperJSONResult } from "superjson";
import { attachCredentialRotation } from "../realtime/credential-rotation.ts";
import type { Db } from "../services/deps.ts";
import { authenticateDevice } from "../services/device.ts";
import { createEnrollmentToken } from "../services/enrollment-token.ts";
import type { TestControlPlane } from "../testing/harness.ts";
import { agentProcess, repoRoot } from "./agent-process.ts";

/**
 * Registers the credential rotation on the plane's /agent namespace. Idempotent per socket, so it is harmless
 * where the namespace already does it; call again after every startServer() (a new plane).
 */
export function wireCredentialRotation(cp: TestControlPlane, ackTimeoutMs = 3_000): void {
  cp.plane.io.of(AGENT_NAMESPACE).on("connection", (socket) => {
    const deviceId = (socket.data as { deviceId?: string }).deviceId;
    if (deviceId) attachCredentialRotation(socket as never, deviceId, { db: cp.db, log: cp.db.log, ackTimeoutMs });
  });
}

export interface AgentFile {
  deviceId: string;
  deviceSecret: string;
}

export async function readAgentFile(configPath: string): Promise<AgentFile> {
  return JSON.parse(await readFile(configPath, "utf8")) as AgentFile;
}

export async function fileMode(p: string): Promise<number> {
  return (await stat(p)).mode & 0o777;
}

/** Enrolls a real agent (the CLI, as a person would) into `dir`; returns its config path and identity. */
export async function enrollRealAgent(serverUrl: string, db: Db, dir: string, name: string) {
  const config = path.join(dir, `${name}.json`);
  const { token } = await createEnrollmentToken(db, { label: name, expiresInHours: 1, maxUses: 1 }, null);
  const enrolled = await agentProcess(["enroll", "--server", serverUrl, "--token", token, "--config", config]).done;
  if (enrolled.code !== 0) throw new Error(`enroll failed: ${enrolled.stderr}${enrolled.stdout}`);
  const file = await readAgentFile(config);
  return { config, stateDir: path.join(dir, `${name}-state`), ...file };
}

/** What the server answers a handshake with this secret: "ok", or the refusal's code. */
export async function credentialVerdict(db: Db, deviceId: string, secret: string): Promise<string> {
  try {
    await authenticateDevice(db, { deviceId, secret, protocolVersion: PROTOCOL_VERSION, agentVersion: "test" });
    return "ok";
  } catch (e) {
    return (e as { code?: string }).code ?? "THROWN";
  }
}

const planeEntry = path.join(path.dirname(fileURLToPath(import.meta.url)), "faults-server.ts");

export interface PlaneProcess {
  child: ChildProcess;
  output(): string;
  /** SIGKILL, as a crash or an OOM kill would: no shutdown code runs. Resolves once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

/** Starts faults-server.ts in its own process and waits until it listens (bounded). */
export async function startPlaneProcess(env: {
  databaseUrl: string;
  port: number;
  modelsDir: string;
}): Promise<PlaneProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", planeEntry], {
    cwd: repoRoot,
    env: {
      ...process.env,
      FAULTS_DATABASE_URL: env.databaseUrl,
      FAULTS_PORT: String(env.port),
      FAULTS_MODELS_DIR: env.modelsDir,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`control plane did not start within 60 s:\n${out}`)), 60_000);
    const onData = () => {
      if (!out.includes(`listening ${env.port}`)) return;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      resolve();
    };
    child.stdout?.on("data", onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`control plane exited at start (${child.exitCode}):\n${out}`));
    });
  });
  return { child, output: () => out, kill9: () => stopWith("SIGKILL"), stop: () => stopWith("SIGTERM") };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Signs in over HTTP as a browser would; returns the session cookie. */
export async function signIn(url: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

/** A tRPC mutation over HTTP (superjson on the wire), as the dashboard sends it. */
export async function mutate<T>(url: string, cookie: string, procedure: string, input: unknown): Promise<T> {
  const res = await fetch(`${url}/api/trpc/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url, cookie },
    body: JSON.stringify(superjson.serialize(input)),
  });
  const body = (await res.json()) as { result?: { data: SuperJSONResult }; error?: unknown };
  if (!res.ok || !body.result) throw new Error(`${procedure} failed: ${res.status} ${JSON.stringify(body.error)}`);
  return superjson.deserialize<T>(body.result.data);
}

/** The agent's own view of its offline buffer (`labfleet-agent status --json`). */
export async function agentBuffer(a: { config: string; stateDir: string }) {
  const s = await agentProcess(["status", "--json", "--config", a.config], {
    LABFLEET_AGENT_STATE_DIR: a.stateDir,
  }).done;
  const report = JSON.parse(s.stdout) as { state: { buffer: { events: number; telemetry: number } | null } };
  return report.state.buffer;
}
