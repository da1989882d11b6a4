import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "@labfleet/db/test-db";
import { createLogger } from "../logger.ts";
import type { Db } from "../services/deps.ts";
import { eventually } from "../testing/harness.ts";
import { JobScheduler } from "./scheduler.ts";

describe("JobScheduler", () => {
  let database: TestDatabase;
  let db: Db;
  before(async () => {
    database = await createTestDatabase();
    db = { prisma: database.prisma, pool: database.pool, log: createLogger({ level: "silent" }) };
  });
  after(async () => {
    await database.close();
  });

  test("two schedulers on one database (two processes) never run the same job at once", async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    let runs = 0;
    const job = {
      name: "exclusive",
      everyMs: 60_000,
      async run() {
        concurrent++;
        runs++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise((r) => setTimeout(r, 200));
        concurrent--;
      },
    };
    const a = new JobScheduler(db);
    const b = new JobScheduler(db);
    a.add(job);
    b.add({ ...job });
    const results = await Promise.all([a.runNow("exclusive"), b.runNow("exclusive")]);
    assert.deepEqual(results.sort(), [false, true], "one ran, the other found the lock held");
    assert.equal(runs, 1);
    assert.equal(maxConcurrent, 1);
    assert.equal(await b.runNow("exclusive"), true, "the lock is released after the run");
  });

  test("scheduled runs happen in one process only, and another takes over when the leader stops", async () => {
    const runsBy: string[] = [];
    const probe = (who: string) => ({
      name: "leader-probe",
      everyMs: 50,
      async run() {
        runsBy.push(who);
      },
    });
    const a = new JobScheduler(db, { leaderPollMs: 50 });
    const b = new JobScheduler(db, { leaderPollMs: 50 });
    a.add(probe("a"));
    b.add(probe("b"));
    a.start();
    b.start();
    try {
      await eventually(() => runsBy.length >= 6, 10_000);
      const who = new Set(runsBy);
      assert.equal(who.size, 1, `one process runs the jobs: ${[...who].join(", ")}`);
      assert.equal(a.isLeader !== b.isLeader, true, "exactly one leads");
      const [leader, follower, followerName] = a.isLeader ? [a, b, "b"] : [b, a, "a"];
      await leader.stop();
      await eventually(() => runsBy.includes(followerName), 10_000);
      assert.equal(follower.isLeader, true);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  test("a failing job is logged and does not stop the scheduler", async () => {
    const s = new JobScheduler(db);
    let calls = 0;
    s.add({
      name: "flaky",
      everyMs: 60_000,
      async run() {
        calls++;
        if (calls === 1) throw new Error("boom");
      },
    });
    assert.equal(await s.runNow("flaky"), true);
    assert.equal(await s.runNow("flaky"), true);
    assert.equal(calls, 2);
    await s.stop();
  });
});
