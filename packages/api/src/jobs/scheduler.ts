import type { PoolClient } from "pg";
import type { Db } from "../services/deps.ts";

export interface JobContext {
  db: Db;
  /** When this run started, epoch ms. */
  now: number;
}

export interface Job {
  /** Unique; also names the advisory lock that keeps a run to one process at a time. */
  name: string;
  everyMs: number;
  run(ctx: JobContext): Promise<void>;
}

export interface SchedulerOptions {
  /** How often a process that does not lead tries to take over, and the leader checks its connection. */
  leaderPollMs?: number;
}

const LEADER_KEY = "labfleet:jobs:leader";

/**
 * Runs background jobs on an interval, in one process of the fleet: the leader, which holds a session-level
 * PostgreSQL advisory lock on a connection of its own. The lock dies with that connection, so when the leader's
 * process dies (even by kill -9) PostgreSQL frees it and another process takes over at its next poll. Every
 * period of a job therefore runs once fleet-wide, not once per process. Each run also holds an advisory lock
 * named after the job, so a manual `runNow` never overlaps a scheduled run anywhere.
 */
export class JobScheduler {
  private readonly jobs = new Map<string, Job>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<boolean>>();
  private started = false;
  private leaderClient: PoolClient | null = null;
  private leaderTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private readonly leaderPollMs: number;

  constructor(
    private readonly db: Db,
    options: SchedulerOptions = {},
  ) {
    this.leaderPollMs = options.leaderPollMs ?? 2_000;
  }

  /** Whether this process runs the scheduled jobs now. */
  get isLeader(): boolean {
    return this.leaderClient !== null;
  }

  add(job: Job): void {
    if (this.jobs.has(job.name)) throw new Error(`job ${job.name} is registered twice`);
    this.jobs.set(job.name, job);
    if (this.isLeader) this.schedule(job);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.polling = this.pollLeadership();
    this.leaderTimer = setInterval(() => {
      this.polling ??= this.pollLeadership().finally(() => {
        this.polling = null;
      });
    }, this.leaderPollMs);
    this.leaderTimer.unref();
    void this.polling.finally(() => {
      this.polling = null;
    });
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.leaderTimer) clearInterval(this.leaderTimer);
    this.leaderTimer = null;
    await this.polling?.catch(() => undefined);
    this.unscheduleAll();
    await Promise.allSettled([...this.running.values()]);
    const client = this.leaderClient;
    this.leaderClient = null;
    if (client) {
      await client.query("SELECT pg_advisory_unlock(hashtext($1))", [LEADER_KEY]).catch(() => undefined);
      client.release();
    }
  }

  /** Takes the lead when it is free; as leader, checks the lock's connection is alive, and steps down if not. */
  private async pollLeadership(): Promise<void> {
    if (!this.started) return;
    if (this.leaderClient) {
      try {
        await this.leaderClient.query("SELECT 1");
      } catch (err) {
        // The connection (and so the lock) is gone: another process may lead by now.
        this.db.log.warn({ err }, "lost the job leader lock; jobs stop here until it is taken again");
        const broken = this.leaderClient;
        this.leaderClient = null;
        this.unscheduleAll();
        broken.release(true);
      }
      return;
    }
    let client: PoolClient | null = null;
    try {
      client = await this.db.pool.connect();
      const got = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [LEADER_KEY]);
      if (!got.rows[0]?.ok || !this.started) {
        if (got.rows[0]?.ok) await client.query("SELECT pg_advisory_unlock(hashtext($1))", [LEADER_KEY]);
        client.release();
        return;
      }
      // An idle connection dropped by the server must not take the process down; the next poll notices.
      client.on("error", (err) => this.db.log.warn({ err }, "job leader connection failed"));
      this.leaderClient = client;
      this.db.log.info("this process now runs the background jobs");
      for (const job of this.jobs.values()) this.schedule(job);
    } catch (err) {
      client?.release(true);
      this.db.log.warn({ err }, "job leadership check failed");
    }
  }

  private unscheduleAll(): void {
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
  }

  /** Runs a job now (tests, or an admin's "run now"). Resolves false when another run or process holds it. */
  runNow(name: string): Promise<boolean> {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`no job named ${name}`);
    return this.runOnce(job);
  }

  private schedule(job: Job): void {
    const timer = setInterval(() => {
      // Without a database (it restarts, the network blips) a run cannot even start: it is skipped and the next
      // tick tries again. A rejection left unhandled here would take the whole process down.
      this.runOnce(job).catch((err: unknown) => this.db.log.warn({ err, job: job.name }, "job skipped: no database"));
    }, job.everyMs);
    timer.unref();
    this.timers.set(job.name, timer);
  }

  private runOnce(job: Job): Promise<boolean> {
    const inFlight = this.running.get(job.name);
    if (inFlight) return inFlight.then(() => false);
    const p = this.locked(job).finally(() => this.running.delete(job.name));
    this.running.set(job.name, p);
    return p;
  }

  private async locked(job: Job): Promise<boolean> {
    const client = await this.db.pool.connect();
    // A connection that failed mid-query is destroyed, not handed back to the pool for the next job to trip on.
    let broken: Error | undefined;
    try {
      const key = `labfleet:job:${job.name}`;
      const got = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [key]);
      if (!got.rows[0]?.ok) return false;
      try {
        await job.run({ db: this.db, now: Date.now() });
      } catch (err) {
        this.db.log.error({ err, job: job.name }, "job failed");
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtext($1))", [key]);
      }
      return true;
    } catch (err) {
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.release(broken);
    }
  }
}
