// Scale-out as a person sees it: two built control planes on one PostgreSQL database and one Redis, a real agent
// connected to process A, and a browser signed in on process B. B shows A's device online with live telemetry,
// a revocation clicked on B cuts off the agent on A, and a scheduled lab session is started by the background
// job exactly once across both processes.
// PostgreSQL and Redis are the machine's (LABFLEET_SCALE_PG_URL, LABFLEET_SCALE_REDIS_URL); the test is skipped,
// saying which one and why, when either is not reachable.
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDatabase, type TestDatabase } from "@labfleet/db/test-db";
import { postgresUnreachable, redisUnreachable } from "@labfleet/db/test-services";
import { test as base } from "@playwright/test";
import { type BuiltServer, startBuiltServer } from "../built-server.ts";
import { enrollAndRunAgent, expect, localInput, repoRoot, signIn, stopProcess, trpcMutation } from "../fixtures.ts";

const PG_ADMIN_URL = process.env.LABFLEET_SCALE_PG_URL ?? "postgresql://root@127.0.0.1:5432/postgres";
/** DB 1 is the scale-out integration test's, DB 2 the ingest bench's: this spec's keys stay apart from theirs. */
const REDIS_URL = process.env.LABFLEET_SCALE_REDIS_URL ?? "redis://127.0.0.1:6379/3";

interface Fleet {
  db: TestDatabase;
  a: BuiltServer;
  b: BuiltServer;
  /** A child process to stop whatever way the test ends. */
  track(child: ChildProcess): ChildProcess;
  tempDir(): string;
}

const test = base.extend<{ fleet: Fleet }>({
  fleet: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies by destructuring.
    async ({}, use) => {
      const reason =
        (await postgresUnreachable(PG_ADMIN_URL, "LABFLEET_SCALE_PG_URL")) ??
        (await redisUnreachable(REDIS_URL, "LABFLEET_SCALE_REDIS_URL"));
      // Said on stderr too: the list reporter shows a skip without its reason.
      if (reason) process.stderr.write(`scale-out end-to-end test skipped: ${reason}\n`);
      test.skip(reason !== null, `scale-out end-to-end test skipped: ${reason}`);
      // Run last registered first: the database goes after the servers, which go after the agent.
      const cleanups: Array<() => Promise<unknown>> = [];
      const children: ChildProcess[] = [];
      try {
        const db = await createTestDatabase({ serverUrl: PG_ADMIN_URL });
        cleanups.unshift(() => db.close());
        const env = {
          REDIS_URL,
          // Keys and channels of this run only: another run on the same Redis is not heard.
          LABFLEET_REDIS_PREFIX: `e2e-${randomBytes(6).toString("hex")}`,
          // One secret for the fleet, as in a real deployment: a session made on one process is good on the other.
          BETTER_AUTH_SECRET: randomBytes(32).toString("hex"),
          LOG_LEVEL: "info",
          // Idle devices report rarely: a steady stream on B's page means B's watch reached the agent on A.
          LABFLEET_TELEMETRY_IDLE_MS: "60000",
          LABFLEET_TELEMETRY_WATCHED_MS: "1000",
        };
        const start = async () => {
          const server = await startBuiltServer({
            repoRoot,
            adminEmail: "teacher@example.test",
            adminPassword: "correct-horse-battery",
            databaseUrl: db.databaseUrl,
            dataDirPrefix: "labfleet-e2e-scale-",
            stdout: "pipe",
            env,
          });
          cleanups.unshift(() => server.stop());
          return server;
        };
        // One after the other: the first creates the admin; both apply migrations (none left by then).
        const a = await start();
        const b = await start();
        await use({
          db,
          a,
          b,
          track: (child) => {
            children.push(child);
            return child;
          },
          tempDir: () => {
            const dir = mkdtempSync(path.join(os.tmpdir(), "labfleet-e2e-scale-agent-"));
            cleanups.unshift(async () => rmSync(dir, { recursive: true, force: true }));
            return dir;
          },
        });
      } finally {
        await Promise.all(children.map((c) => stopProcess(c)));
        for (const cleanup of cleanups) await cleanup().catch(() => undefined);
      }
    },
    { timeout: 150_000 },
  ],
});

/** Log lines (pino JSON) of a server with this message. */
function logLines(server: BuiltServer, msg: string): string[] {
  return server
    .output()
    .split("\n")
    .filter((l) => l.includes(`"msg":"${msg}"`));
}

test("agent on A, browser on B: live telemetry, a revocation, and a scheduled session started once", async ({
  page,
  fleet,
}) => {
  test.setTimeout(180_000);
  const { a, b, db } = fleet;
  for (const s of [a, b]) {
    await expect.poll(() => logLines(s, "scale-out on Redis started").length, { timeout: 10_000 }).toBe(1);
  }

  // The browser is on B; the token it makes is good on A (one database).
  await signIn(page, b);
  await page.getByRole("link", { name: /enrollment tokens/i }).click();
  await expect(page).toHaveURL(/\/tokens/);
  await page.getByLabel(/label/i).fill("Scale-out");
  await page.getByRole("button", { name: /create token/i }).click();
  const token = (await page.getByTestId("new-token-value").textContent())?.trim() ?? "";
  expect(token).toMatch(/^lfe_/);

  const started = enrollAndRunAgent(a, token, path.join(fleet.tempDir(), "agent.json"));
  const agent = fleet.track(started.agent);
  let agentOutput = "";
  agent.stdout?.on("data", (d) => {
    agentOutput += d;
  });
  agent.stderr?.on("data", (d) => {
    agentOutput += d;
  });
  // B shows the device connected to A online, and its telemetry live.
  await page.goto(`${b.url}/devices/${started.deviceId}`);
  await expect(page.getByTestId("device-status").first()).toHaveAttribute("data-status", "online");
  const cpu = page.getByTestId("device-cpu");
  await expect(cpu).toHaveText(/\d/);
  // The figures above the chart (CPU, memory, load, ...) come only from samples: each change is a new sample.
  // Four different readings within 20 s cannot come at the idle rate (one a minute), only at the watched one.
  const stats = page.locator("dl").filter({ has: cpu });
  const seen = new Set<string>();
  const watchedAt = Date.now();
  await expect
    .poll(
      async () => {
        seen.add(((await stats.textContent()) ?? "").replace(/\s+/g, " "));
        return seen.size;
      },
      { timeout: 20_000, intervals: [250] },
    )
    .toBeGreaterThanOrEqual(4);
  test.info().annotations.push({
    type: "telemetry",
    description: `4 readings on B in ${Date.now() - watchedAt} ms from the agent on A: ${[...seen].join(" | ")}`,
  });

  // A lab session set to start by itself 15 s from now: the job starts it on whichever process leads.
  const lab = await trpcMutation(page, b.url, "lab.create", { name: "Room Scale", rows: 1, cols: 1 });
  const cls = await trpcMutation(page, b.url, "class.create", { name: "Scale-out", term: "2026" });
  await page.goto(`${b.url}/classes/${cls.id}?tab=sessions`);
  const form = page.getByTestId("schedule-session-form");
  await form.getByLabel("Title").fill("Auto start");
  await page.getByTestId("session-lab").selectOption(lab.id);
  const startsAt = new Date(Date.now() + 15_000);
  await form.getByLabel("Starts", { exact: true }).fill(localInput(startsAt));
  await form.getByLabel("Ends", { exact: true }).fill(localInput(new Date(Date.now() + 3_600_000)));
  await page.getByTestId("session-autostart").check();
  await form.getByRole("button", { name: /schedule session/i }).click();
  await page.getByRole("link", { name: "Auto start" }).click();
  await expect(page).toHaveURL(/\/sessions\//);
  const sessionId = decodeURIComponent(page.url().split("/sessions/")[1] ?? "");
  await expect(page.getByTestId("session-status")).toHaveAttribute("data-status", "scheduled");
  // The job runs every 15 s; the page hears of the start through session:updated, across Redis when A leads.
  await expect(page.getByTestId("session-status")).toHaveAttribute("data-status", "active", { timeout: 50_000 });

  const row = await db.prisma.labSession.findUniqueOrThrow({
    where: { id: sessionId },
    select: { status: true, startedAt: true, startedById: true },
  });
  expect(row.status).toBe("active");
  expect(row.startedById, "started by the schedule, not by a person").toBeNull();
  expect(row.startedAt?.getTime() ?? 0).toBeGreaterThanOrEqual(startsAt.getTime() - 1_000);
  const leaders = [a, b].filter((s) => logLines(s, "this process now runs the background jobs").length > 0);
  expect(leaders, "exactly one process runs the jobs").toHaveLength(1);
  const starts = [...logLines(a, "lab session started"), ...logLines(b, "lab session started")];
  expect(starts, "the session was started once, by one process").toHaveLength(1);
  expect(starts[0]).toContain(sessionId);
  expect(logLines(leaders[0] as BuiltServer, "lab session started")).toHaveLength(1);
  for (const s of [a, b]) expect(logLines(s, "scheduled session start failed")).toHaveLength(0);
  test.info().annotations.push({
    type: "job",
    description: `${leaders[0] === a ? "A" : "B"} leads; the session started ${
      (row.startedAt?.getTime() ?? 0) - startsAt.getTime()
    } ms after its start time`,
  });

  // Revoked on B: the agent on A is told and exits with the credential-refused code.
  await page.goto(`${b.url}/devices/${started.deviceId}`);
  await expect(page.getByTestId("device-status").first()).toHaveAttribute("data-status", "online");
  const exited = new Promise<number | null>((resolve) => {
    if (agent.exitCode !== null) resolve(agent.exitCode);
    else agent.once("exit", (code) => resolve(code));
  });
  await page.getByRole("button", { name: /^revoke/i }).click();
  const revokedAt = Date.now();
  await page.getByRole("button", { name: /^revoke device$/i }).click();
  await expect(page.getByTestId("device-status").first()).toHaveAttribute("data-status", "revoked");
  const code = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 15_000))]);
  expect(code, `the revoked agent on A exits (its output:\n${agentOutput})`).toBe(5);
  test.info().annotations.push({
    type: "revoke",
    description: `the agent on A exited ${Date.now() - revokedAt} ms after the revocation clicked on B`,
  });
});
