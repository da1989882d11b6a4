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

/**
 * Runs background jobs on an interval. Each run holds a PostgreSQL advisory lock named after the job, so
 * when several control-plane processes share a database only one runs a job at a time; the others skip.
 */
export class JobScheduler {
  private readonly jobs = new Map<string, Job>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<boolean>>();
  private started = false;

  constructor(private readonly db: Db) {}

  add(job: Job): void {
    if (this.jobs.has(job.name)) throw new Error(`job ${job.name} is registered twice`);
    this.jobs.set(job.name, job);
    if (this.started) this.schedule(job);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const job of this.jobs.values()) this.schedule(job);
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Runs a job now (tests, or an admin's "run now"). Resolves false when another run or process holds it. */
  runNow(name: string): Promise<boolean> {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`no job named ${name}`);
    return this.runOnce(job);
  }

  private schedule(job: Job): void {
    const timer = setInterval(() => void this.runOnce(job), job.everyMs);
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
    } finally {
      client.release();
    }
  }
}
