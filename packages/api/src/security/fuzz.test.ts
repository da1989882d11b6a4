// The fuzz test: thousands of malformed, oversized and wrongly typed tRPC inputs (over the real HTTP endpoint, with
// a real session cookie and Origin) and socket events (on /agent as an enrolled device, on /dashboard as staff and a
// student). The server must stay up, answer each with a coded error (or a valid success), leak nothing internal,
// and write nothing: every table's row count is the same afterwards. Deterministic: the seed is printed, and
// LABFLEET_FUZZ_SEED replays a run.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type Ack,
  AGENT_NAMESPACE,
  ackSchema,
  DASHBOARD_NAMESPACE,
  deviceSubscribeSchema,
  ERROR_CODES,
  eventsReportSchema,
  fleetSubscribeSchema,
  inventorySchema,
  LIMITS,
  labSubscribeSchema,
  modelsStatusReportSchema,
  PROTOCOL_VERSION,
  runProgressSchema,
  telemetryReportSchema,
} from "@labfleet/protocol";
import { io, type Socket } from "socket.io-client";
import { z } from "zod";
import type { Db } from "../services/deps.ts";
import { eventually, startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";
import { buildSchool, type School } from "./fixture.ts";
import { type GenOptions, inputFor, inputKeys, POLLUTION_KEYS, rng } from "./fuzz-gen.ts";
import { httpCaseMaker, procedures, TRPC_CODES } from "./fuzz-http-cases.ts";
import { LEAK, type ProcedureType, sendRaw } from "./trpc-http.ts";

const SEED = Number(process.env.LABFLEET_FUZZ_SEED ?? 20_261_125);
const HTTP_CALLS = 6_600;
const AGENT_EVENTS = 2_600;
const DASHBOARD_EVENTS = 1_200;
/** Live pushes (`telemetry:push`), all malformed, on one connection. */
const PUSH_EVENTS = 600;
const BATCH = 200;
const CONCURRENCY = 12;
/** A bound on waiting for one ack, so a lost answer fails the test instead of hanging it (not a timing check). */
const ACK_BOUND_MS = 15_000;

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < items.length) {
      const item = items[i++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function rowCounts(db: Db): Promise<Record<string, number>> {
  const tables = await db.pool.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables.rows) {
    const res = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${name.replaceAll('"', '""')}"`);
    counts[name] = res.rows[0]?.n ?? -1;
  }
  return counts;
}

interface Failure {
  what: string;
  detail: string;
}

describe(`fuzz (seed ${SEED})`, () => {
  let cp: TestControlPlane;
  let school: School;
  let before0: Record<string, number>;
  const failures: Failure[] = [];
  let sent = 0;
  const fail = (what: string, detail: string) => {
    if (failures.length < 60) failures.push({ what, detail: detail.slice(0, 400) });
  };

  async function healthy(when: string): Promise<void> {
    const res = await fetch(`${cp.url}/api/health`);
    const body = await res.text();
    assert.equal(res.status, 200, `the server stopped answering ${when}: ${body}`);
    assert.deepEqual(JSON.parse(body), { ok: true });
  }

  before(async () => {
    cp = await startTestControlPlane();
    school = await buildSchool(cp);
    // The fixture's agents have done their part; the fuzz connects its own.
    school.close();
    before0 = await rowCounts(cp.db);
    console.log(`fuzz seed ${SEED} (replay with LABFLEET_FUZZ_SEED=${SEED})`);
  });
  after(async () => {
    await cp?.close();
  });

  test("inputs the fuzz once found answered as internal errors are bad requests", async () => {
    const admin = { url: cp.url, cookie: school.cookies.admin };
    const cases: Array<[string, ProcedureType, unknown]> = [
      // PostgreSQL refuses NUL in text; the driver cannot encode half of a surrogate pair.
      ["lab.get", "query", { id: "a\u0000b" }],
      ["lab.get", "query", { id: `${"😀".repeat(3)}\ud83d` }],
      ["lab.create", "mutation", { name: "Lab\udc00", rows: 1, cols: 1 }],
      ["device.addTag", "mutation", { id: school.devices.a.id, tag: "ok", extra: { "k\u0000": 1 } }],
      // The auth library allows no dash in a username; that was a failure inside it.
      ["user.create", "mutation", { name: "Dash", username: "first-last", role: "student" }],
    ];
    for (const [path, type, input] of cases) {
      const answer = await sendRaw(admin, path, type, JSON.stringify({ json: input }));
      sent++;
      assert.equal(answer.ok ? "ok" : answer.code, "BAD_REQUEST", `${path} ${JSON.stringify(input)}: ${answer.body}`);
      assert.doesNotMatch(answer.body, LEAK);
    }
    const browser = await connect(`${cp.url}${DASHBOARD_NAMESPACE}`, { cookie: school.cookies.admin });
    try {
      const ack = (await ackOf(browser, "device:subscribe", { deviceId: "seat\u0000" })) as Ack<unknown>;
      sent++;
      assert.equal(ack.ok ? "ok" : ack.error.code, "BAD_REQUEST");
    } finally {
      browser.close();
    }
  });

  test("tRPC over HTTP: malformed, oversized and wrongly typed inputs get coded errors", async () => {
    failures.length = 0;
    const r = rng(SEED);
    const procs = procedures();
    const ids = [
      school.classA.id,
      school.classB.id,
      school.lab.id,
      school.devices.a.id,
      school.devices.b.id,
      school.session.id,
      school.assignment.id,
      school.studentRun.id,
      school.submission.id,
      school.deployment.id,
      school.alert.id,
      school.versionId,
      school.users.student.id,
      school.users.admin.id,
    ];
    const cookies = { admin: school.cookies.admin, student: school.cookies.student };

    const makeCase = httpCaseMaker(r, procs, { ids, cookies });
    const cases = Array.from({ length: HTTP_CALLS }, (_, n) => makeCase(n));
    for (let start = 0; start < cases.length; start += BATCH) {
      await pool(cases.slice(start, start + BATCH), CONCURRENCY, async (c) => {
        const batch = c.headers["x-batch"] === "1";
        const { "x-batch": _, ...headers } = c.headers;
        let answer: Awaited<ReturnType<typeof sendRaw>>;
        try {
          answer = await sendRaw(
            { url: cp.url, cookie: c.cookie },
            batch ? `${c.path}?batch=1` : c.path,
            c.method,
            c.wire,
            headers,
            batch,
          );
        } catch (e) {
          fail(
            `${c.proc.path} [${c.kind}] ${c.method}`,
            `no answer: ${String(e)} ${String((e as { cause?: unknown }).cause)} <- ${String(c.wire).length} chars: ${String(c.wire).slice(0, 200)}`,
          );
          return;
        }
        sent++;
        const where = `${c.proc.path} [${c.kind}] ${c.method} ${c.cookie ? "signed in" : "anonymous"}`;
        if (answer.status >= 500)
          fail(where, `HTTP ${answer.status}: ${answer.body} <- ${String(c.wire).slice(0, 200)}`);
        if (LEAK.test(answer.body)) fail(where, `leaks internals: ${answer.body}`);
        // Node's own HTTP refusals (headers or URL too large) carry no body: the status is the code.
        const nodeRefusal = [413, 414, 431].includes(answer.status) && answer.body === "";
        if (!answer.ok && !nodeRefusal && !(answer.code && TRPC_CODES.has(answer.code))) {
          fail(where, `uncoded answer ${answer.status}: ${answer.body} <- ${String(c.wire).slice(0, 200)}`);
        }
      });
      await healthy(`after HTTP batch ${start / BATCH + 1}`);
    }
    assert.deepEqual(failures, [], `seed ${SEED}: ${failures.length} bad answers (first 60 shown)`);
  });

  test("/agent and /dashboard: malformed, oversized and wrongly typed events get coded acks", async () => {
    failures.length = 0;
    const r = rng(SEED + 1);
    const device = school.devices.a;
    const connectAgent = () =>
      connect(`${cp.url}${AGENT_NAMESPACE}`, {
        auth: { deviceId: device.id, secret: device.secret, protocolVersion: PROTOCOL_VERSION, agentVersion: "fuzz" },
      });
    let agent = await connectAgent();
    const admin = await connect(`${cp.url}${DASHBOARD_NAMESPACE}`, { cookie: school.cookies.admin });
    const student = await connect(`${cp.url}${DASHBOARD_NAMESPACE}`, { cookie: school.cookies.student });
    const ids = [school.devices.a.id, school.devices.b.id, school.lab.id, school.studentRun.id, school.deployment.id];

    const agentSchemas: Record<string, z.ZodType> = {
      "inventory:report": inventorySchema,
      "telemetry:report": telemetryReportSchema,
      "events:report": eventsReportSchema,
      "models:status": modelsStatusReportSchema,
      "run:progress": runProgressSchema,
    };
    const dashboardSchemas: Record<string, z.ZodType> = {
      "fleet:subscribe": fleetSubscribeSchema,
      "fleet:unsubscribe": fleetSubscribeSchema,
      "device:subscribe": deviceSubscribeSchema,
      "device:unsubscribe": deviceSubscribeSchema,
      "lab:subscribe": labSubscribeSchema,
      "lab:unsubscribe": labSubscribeSchema,
    };
    const unknownEvents = [
      "unknown:event",
      "inventory:report ",
      "INVENTORY:REPORT",
      ...POLLUTION_KEYS.slice(1),
      "x".repeat(300),
    ];
    const o: GenOptions = { maxString: 400_000, ids, rich: false };

    function checkAck(where: string, ack: unknown, want?: string[]): void {
      const parsed = ackSchema(z.unknown()).safeParse(ack);
      if (!parsed.success) {
        fail(where, `not an ack: ${JSON.stringify(ack)}`);
        return;
      }
      const a = parsed.data as Ack<unknown>;
      if (a.ok) {
        if (want) fail(where, `accepted; expected ${want}`);
        return;
      }
      if (!(ERROR_CODES as readonly string[]).includes(a.error.code) || a.error.code === "INTERNAL") {
        fail(where, `uncoded or internal error: ${JSON.stringify(a.error)}`);
      }
      if (want && !want.includes(a.error.code)) fail(where, `expected ${want}, got ${a.error.code}`);
      if (LEAK.test(a.error.message)) fail(where, `leaks internals: ${a.error.message}`);
    }

    async function fire(
      socket: Socket,
      ns: string,
      schemas: Record<string, z.ZodType>,
      writes: boolean,
    ): Promise<void> {
      const roll = r.next();
      const known = Object.keys(schemas);
      const event = roll < 0.9 ? r.pick(known) : r.pick(unknownEvents);
      const schema = Object.hasOwn(schemas, event) ? schemas[event] : undefined;
      let payload = inputFor(r, schema ? inputKeys(schema) : [], o);
      // Over socket.io's buffer cap the transport drops the connection before any handler runs: that case is
      // tried once, at the end; here payloads stay under it.
      if (Buffer.byteLength(JSON.stringify(payload) ?? "") > LIMITS.maxHttpBufferBytes * 0.9) {
        payload = { samples: "s".repeat(LIMITS.maxEventBytes + 1) };
      }
      // A payload the handler would accept could write (telemetry, events): the /agent fuzz sends only bad ones.
      if (writes && schema?.safeParse(payload).success) payload = [payload];
      const where = `${ns} ${event.slice(0, 40)}`;
      if (!socket.connected) {
        fail(where, "the socket was dropped");
        return;
      }
      sent++;
      if (!schema) {
        socket.emit(event, payload);
        return;
      }
      if (roll < 0.1) {
        // Without an ack, or with extra arguments: refused and counted, never answered.
        if (r.chance(0.5)) socket.emit(event, payload);
        else socket.emit(event, payload, "extra", 1);
        return;
      }
      if (roll < 0.16) {
        const big = { samples: "s".repeat(LIMITS.maxEventBytes + 1 + r.int(500_000)) };
        checkAck(`${where} [oversized]`, await ackOf(socket, event, big), ["PAYLOAD_TOO_LARGE"]);
        return;
      }
      if (roll < 0.19) {
        const binary = Buffer.alloc(r.int(4096), r.int(256));
        // A Buffer is an object to zod: an event whose payload is an empty object may take it (and ignore it).
        const refused = !schema.safeParse(binary).success;
        checkAck(`${where} [binary]`, await ackOf(socket, event, binary), refused ? ["BAD_REQUEST"] : undefined);
        return;
      }
      const shown = `${where} ${(JSON.stringify(payload) ?? "").slice(0, 160)}`;
      checkAck(shown, await ackOf(socket, event, payload), writes ? ["BAD_REQUEST", "PAYLOAD_TOO_LARGE"] : undefined);
    }

    for (let start = 0; start < AGENT_EVENTS; start += BATCH) {
      await pool(Array.from({ length: BATCH }), CONCURRENCY, () => fire(agent, "/agent", agentSchemas, true));
      assert.ok(agent.connected, `the device's socket was dropped in /agent batch ${start / BATCH + 1}`);
      await healthy(`after /agent batch ${start / BATCH + 1}`);
    }
    for (let start = 0; start < DASHBOARD_EVENTS; start += BATCH) {
      await pool(Array.from({ length: BATCH }), CONCURRENCY, () =>
        fire(r.chance(0.5) ? admin : student, "/dashboard", dashboardSchemas, false),
      );
      assert.ok(admin.connected && student.connected, "a browser's socket was dropped by the /dashboard fuzz");
      await healthy(`after /dashboard batch ${start / BATCH + 1}`);
    }

    // Over socket.io's own buffer cap the transport closes that one connection; the server lives on and the device
    // reconnects as before.
    const closed = new Promise<void>((resolve) => agent.once("disconnect", () => resolve()));
    agent.emit("telemetry:report", { samples: "z".repeat(LIMITS.maxHttpBufferBytes + 10) }, () => undefined);
    sent++;
    await closed;
    agent.close();
    await healthy("after an event over the transport's cap");
    agent = await connectAgent();
    const again = await ackOf(agent, "run:progress", {});
    checkAck("/agent after reconnecting", again, ["BAD_REQUEST"]);

    // The live lane has no acks: every bad push is answered by its number in `telemetry:refused`, and the
    // confirmation that covers them all counts nothing stored.
    const refusals = new Map<number, unknown>();
    let confirmed: { upTo: number; stored: number } | null = null;
    agent.on("telemetry:refused", (x: { push: number; error: unknown }) => refusals.set(x.push, x.error));
    agent.on("telemetry:pushed", (x: { upTo: number; stored: number }) => {
      confirmed = x;
    });
    for (let n = 1; n <= PUSH_EVENTS; n++) {
      let payload = inputFor(r, inputKeys(telemetryReportSchema), o);
      if (telemetryReportSchema.safeParse(payload).success) payload = [payload];
      if (Buffer.byteLength(JSON.stringify(payload) ?? "") > LIMITS.maxHttpBufferBytes * 0.9) {
        payload = { samples: "s".repeat(LIMITS.maxEventBytes + 1) };
      }
      if (r.chance(0.05)) agent.emit("telemetry:push", payload, () => undefined);
      else agent.emit("telemetry:push", payload);
      sent++;
    }
    await eventually(() => (confirmed as { upTo: number } | null)?.upTo === PUSH_EVENTS, 30_000);
    assert.equal((confirmed as { stored: number } | null)?.stored, 0, "a bad push stored something");
    for (let n = 1; n <= PUSH_EVENTS; n++) {
      const error = refusals.get(n);
      if (error === undefined) fail(`/agent telemetry:push #${n}`, "confirmed without a refusal");
      else checkAck(`/agent telemetry:push #${n}`, { ok: false, error }, ["BAD_REQUEST", "PAYLOAD_TOO_LARGE"]);
    }
    for (const s of [agent, admin, student]) s.close();
    assert.deepEqual(failures, [], `seed ${SEED}: ${failures.length} bad acks (first 60 shown)`);
  });

  test("at least 10,000 inputs were sent, and nothing was written", async () => {
    assert.ok(sent >= 10_000, `only ${sent} inputs were sent`);
    const after0 = await rowCounts(cp.db);
    const changed = Object.keys({ ...before0, ...after0 }).filter((t) => before0[t] !== after0[t]);
    assert.deepEqual(
      changed.map((t) => `${t}: ${before0[t]} -> ${after0[t]}`),
      [],
      "tables whose row count changed during the fuzz",
    );
  });
});

/** The ack of one event; a lost answer or a dropped socket comes back as a value that is not an ack. */
function ackOf(socket: Socket, event: string, payload: unknown): Promise<unknown> {
  return socket
    .timeout(ACK_BOUND_MS)
    .emitWithAck(event, payload)
    .catch((e: unknown) => ({ lost: String(e) }));
}

function connect(url: string, opts: { auth?: Record<string, unknown>; cookie?: string | null }): Promise<Socket> {
  const socket = io(url, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    ...(opts.auth ? { auth: opts.auth } : {}),
    extraHeaders: opts.cookie ? { cookie: opts.cookie } : {},
  });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => {
      socket.close();
      reject(err);
    });
  });
}
