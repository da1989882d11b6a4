// The socket half of the authorization matrix: who may connect to /agent and /dashboard, and what each event
// answers per role. The tables are typed by the protocol's event maps (a new event does not compile without a
// row) and checked at run time against the handlers the server registered (a new handler fails the test).
import {
  type Ack,
  AGENT_NAMESPACE,
  type AgentToServerEvents,
  DASHBOARD_NAMESPACE,
  type DashboardToServerEvents,
  PROTOCOL_VERSION,
} from "@labfleet/protocol";
import { io, type Socket } from "socket.io-client";
import { runResult, sign, testInventory } from "../services/runs/test-kit.ts";
import type { TestControlPlane } from "../testing/harness.ts";
import { type AgentClient, pushTelemetry, sample } from "../testing/sockets.ts";
import type { MatrixRole, School } from "./fixture.ts";

type Connected = { ok: true; socket: Socket } | { ok: false; code: string | null };

function open(url: string, opts: { auth?: Record<string, unknown>; cookie?: string | null }): Promise<Connected> {
  const socket = io(url, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    ...(opts.auth ? { auth: opts.auth } : {}),
    extraHeaders: opts.cookie ? { cookie: opts.cookie } : {},
  });
  return new Promise((resolve) => {
    socket.once("connect", () => resolve({ ok: true, socket }));
    socket.once("connect_error", (err: Error & { data?: { code?: string } }) => {
      socket.close();
      resolve({ ok: false, code: err.data?.code ?? null });
    });
  });
}

const deviceAuth = (deviceId: string, secret: string) => ({
  deviceId,
  secret,
  protocolVersion: PROTOCOL_VERSION,
  agentVersion: "test",
});

/** The events a server-side socket of the namespace listens to (socket.io's own events left out). */
function handledEvents(cp: TestControlPlane, namespace: string): string[] {
  const sockets = [...cp.plane.io.of(namespace).sockets.values()];
  const names = new Set<string>();
  for (const s of sockets) for (const n of s.eventNames()) if (typeof n === "string" && n.includes(":")) names.add(n);
  return [...names].sort();
}

interface AgentRow {
  /** A payload about the device's own things: answered ok. */
  own: (s: School) => unknown;
  /**
   * The same event naming another device's things (its run, its deployment), or null when the payload cannot
   * name another device. It is answered without an error (agents replay blindly) and changes nothing of the other
   * device: `untouched` reads what must stay as it was.
   */
  other: ((s: School) => unknown) | null;
  untouched?: (cp: TestControlPlane, s: School) => Promise<unknown>;
  /** Sent without an ack and answered by a confirmation or a refusal (the live telemetry lane). */
  push?: true;
}

const eventKey = () => `matrix-${Math.random().toString(36).slice(2, 12)}`;

/** Device A is "the device"; device B is "another device", whose open room run and deployment A must not touch. */
const AGENT_EVENTS: Record<keyof AgentToServerEvents, AgentRow> = {
  "inventory:report": { own: () => testInventory({ hostname: "seat-a1" }), other: null },
  "telemetry:report": { own: () => ({ samples: [sample(Date.now())] }), other: null },
  "telemetry:push": { own: () => ({ samples: [sample(Date.now() + 1)] }), other: null, push: true },
  "events:report": {
    own: () => ({ events: [{ key: eventKey(), ts: Date.now(), kind: "agent.started", data: {} }] }),
    // Device A reports a result for device B's run, signed with its own secret.
    other: (s) => {
      const runId = s.otherDeviceRunId;
      const signed = sign(runResult(runId, s.devices.a.id), s.devices.a.secret);
      return { events: [{ key: `run:${runId}`, ts: Date.now(), kind: "run.finished", data: {}, result: signed }] };
    },
    untouched: (cp, s) =>
      cp.db.prisma.run.findUniqueOrThrow({ where: { id: s.otherDeviceRunId }, select: { status: true, result: true } }),
  },
  "models:status": {
    own: (s) => ({
      models: [
        {
          deploymentId: s.deployment.id,
          versionId: s.model.versions[1]?.id,
          state: "downloading",
          percent: 1,
          error: null,
        },
      ],
    }),
    other: (s) => ({
      models: [
        {
          deploymentId: s.deployment.id,
          versionId: s.model.versions[1]?.id,
          state: "ready",
          percent: 100,
          error: null,
        },
      ],
    }),
    untouched: (cp, s) =>
      cp.db.prisma.deploymentDevice.findMany({
        where: { deploymentId: s.deployment.id },
        select: { deviceId: true, state: true, percent: true },
        orderBy: { deviceId: "asc" },
      }),
  },
  "run:progress": {
    own: (s) => ({ runId: s.studentRun.id, phase: "measuring", done: 1, total: 10, elapsedMs: 5 }),
    other: (s) => ({ runId: s.otherDeviceRunId, phase: "measuring", done: 9, total: 10, elapsedMs: 5 }),
    untouched: (cp, s) =>
      cp.db.prisma.run.findUniqueOrThrow({
        where: { id: s.otherDeviceRunId },
        select: { status: true, progress: true },
      }),
  },
};

type People = Exclude<MatrixRole, "anonymous" | "device">;
const PEOPLE: People[] = ["otherStudent", "student", "otherInstructor", "instructor", "admin"];
const STAFF_ONLY: Record<People, string> = {
  otherStudent: "FORBIDDEN",
  student: "FORBIDDEN",
  otherInstructor: "ok",
  instructor: "ok",
  admin: "ok",
};
const ANYONE: Record<People, string> = {
  otherStudent: "ok",
  student: "ok",
  otherInstructor: "ok",
  instructor: "ok",
  admin: "ok",
};

/** Room 101's lab and devices: the admin, and the instructor whose class has a session there (fleet-scope.ts). */
const ROOM_STAFF: Record<People, string> = { ...STAFF_ONLY, otherInstructor: "NOT_FOUND" };

/**
 * An admin watches the whole fleet, an instructor their labs (the fleet room is theirs, filtered); a student
 * watches only the seat they are checked in to.
 */
const DASHBOARD_EVENTS: Record<
  keyof DashboardToServerEvents,
  Array<{ payload: (s: School) => unknown; expect: Record<People, string> }>
> = {
  "fleet:subscribe": [{ payload: () => ({}), expect: STAFF_ONLY }],
  "fleet:unsubscribe": [{ payload: () => ({}), expect: ANYONE }],
  "lab:subscribe": [{ payload: (s) => ({ labId: s.lab.id }), expect: ROOM_STAFF }],
  "lab:unsubscribe": [{ payload: (s) => ({ labId: s.lab.id }), expect: ANYONE }],
  "device:subscribe": [
    // Seat A1 is the student's own seat; seat A2 is someone else's.
    {
      payload: (s) => ({ deviceId: s.devices.a.id }),
      expect: { ...ANYONE, otherStudent: "NOT_FOUND", otherInstructor: "NOT_FOUND" },
    },
    {
      payload: (s) => ({ deviceId: s.devices.b.id }),
      expect: { ...ANYONE, otherStudent: "NOT_FOUND", student: "NOT_FOUND", otherInstructor: "NOT_FOUND" },
    },
  ],
  "device:unsubscribe": [{ payload: (s) => ({ deviceId: s.devices.a.id }), expect: ANYONE }],
};

const outcome = (ack: Ack<unknown>) => (ack.ok ? "ok" : ack.error.code);

/** Runs the socket matrix; answers the list of wrong answers (empty when all is as the tables say). */
export async function checkSocketMatrix(cp: TestControlPlane, s: School): Promise<string[]> {
  const wrong: string[] = [];
  const expectConnect = (what: string, got: Connected, want: string) => {
    const code = got.ok ? "ok" : got.code;
    if (got.ok && want !== "ok") got.socket.close();
    if (code !== want) wrong.push(`${what}: expected ${want}, got ${code}`);
  };

  // /agent: only a device's own credential opens it.
  const agentUrl = `${cp.url}${AGENT_NAMESPACE}`;
  expectConnect("/agent anonymous", await open(agentUrl, {}), "BAD_REQUEST");
  for (const role of PEOPLE) {
    expectConnect(
      `/agent as ${role} (session cookie)`,
      await open(agentUrl, { cookie: s.cookies[role] }),
      "BAD_REQUEST",
    );
  }
  expectConnect(
    "/agent as device A with device B's id",
    await open(agentUrl, { auth: deviceAuth(s.devices.b.id, s.devices.a.secret) }),
    "BAD_CREDENTIAL",
  );
  const asA = await open(agentUrl, { auth: deviceAuth(s.devices.a.id, s.devices.a.secret) });
  if (!asA.ok) return [...wrong, `/agent as device A refused: ${asA.code}`];
  try {
    const handled = handledEvents(cp, AGENT_NAMESPACE);
    const listed = Object.keys(AGENT_EVENTS).sort();
    if (handled.join() !== listed.join()) wrong.push(`/agent handles [${handled}], the matrix lists [${listed}]`);
    let pushes = 0;
    for (const [event, row] of Object.entries(AGENT_EVENTS)) {
      const own = row.push
        ? await pushTelemetry(asA.socket as AgentClient, row.own(s), ++pushes)
        : ((await asA.socket.emitWithAck(event, row.own(s))) as Ack<unknown>);
      if (!own.ok) wrong.push(`/agent ${event} as the device: ${own.error.code} ${own.error.message}`);
      if (!row.other) continue;
      const before = await row.untouched?.(cp, s);
      const other = (await asA.socket.emitWithAck(event, row.other(s))) as Ack<unknown>;
      const afterwards = await row.untouched?.(cp, s);
      if (!other.ok) wrong.push(`/agent ${event} naming another device's things: ${outcome(other)}`);
      if (JSON.stringify(before) !== JSON.stringify(afterwards)) {
        wrong.push(`/agent ${event}: device A changed device B's rows: ${JSON.stringify(afterwards)}`);
      }
    }
  } finally {
    asA.socket.close();
  }

  // /dashboard: a session cookie opens it; a device's credential does not.
  const dashUrl = `${cp.url}${DASHBOARD_NAMESPACE}`;
  expectConnect("/dashboard anonymous", await open(dashUrl, {}), "UNAUTHORIZED");
  expectConnect(
    "/dashboard as a device",
    await open(dashUrl, { auth: deviceAuth(s.devices.a.id, s.devices.a.secret) }),
    "UNAUTHORIZED",
  );
  for (const role of PEOPLE) {
    const browser = await open(dashUrl, { cookie: s.cookies[role] });
    if (!browser.ok) {
      wrong.push(`/dashboard as ${role} refused: ${browser.code}`);
      continue;
    }
    try {
      if (role === "admin") {
        const handled = handledEvents(cp, DASHBOARD_NAMESPACE);
        const listed = Object.keys(DASHBOARD_EVENTS).sort();
        if (handled.join() !== listed.join())
          wrong.push(`/dashboard handles [${handled}], the matrix lists [${listed}]`);
      }
      for (const [event, cases] of Object.entries(DASHBOARD_EVENTS)) {
        for (const c of cases) {
          const payload = c.payload(s);
          const got = outcome((await browser.socket.emitWithAck(event, payload)) as Ack<unknown>);
          if (got !== c.expect[role]) {
            wrong.push(
              `/dashboard ${event} ${JSON.stringify(payload)} as ${role}: expected ${c.expect[role]}, got ${got}`,
            );
          }
        }
      }
    } finally {
      browser.socket.close();
    }
  }
  return wrong;
}
