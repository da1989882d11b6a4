// A simulator in its own process for the load benches: forked by load-kit's SimWorker, driven over IPC, so that
// the simulated devices do not share an event loop (or a core) with the bench's measuring dashboard socket.
import pino from "pino";
import { type RunningSimulator, startSimulator } from "../simulator.ts";

export interface WorkerStats {
  /** When the counters were read (epoch ms): every sample counted in `sent` has a timestamp at or before it. */
  at: number;
  connected: number;
  sent: number;
  stored: number;
  refused: number;
  connects: number;
}

export type WorkerRequest =
  | {
      id: number;
      type: "start";
      url: string;
      stateFile: string;
      devices: number;
      seed: number;
      intervalMs: number | null;
    }
  | { id: number; type: "stats" }
  | { id: number; type: "stop" };

export interface WorkerReply {
  id: number;
  error?: string;
  stats?: WorkerStats;
}

const log = pino({ name: "bench-sim", level: process.env.LOG_LEVEL ?? "error" });
/** One simulator per batch of devices the bench added (each with its own state file). */
const sims: RunningSimulator[] = [];

function stats(): WorkerStats {
  const at = Date.now();
  const s: WorkerStats = { at, connected: 0, sent: 0, stored: 0, refused: 0, connects: 0 };
  for (const d of sims.flatMap((x) => x.devices)) {
    if (d.connected) s.connected++;
    s.sent += d.stats.sent;
    s.stored += d.stats.stored;
    s.refused += d.stats.refused;
    s.connects += d.stats.connects;
  }
  // Hold the loop until the clock moves on: every sample counted above then has ts <= at, every later one ts > at,
  // so that the bench can count the same samples in the database by timestamp, exactly.
  while (Date.now() <= at) {
    // at most a millisecond
  }
  return s;
}

async function answer(req: WorkerRequest): Promise<WorkerReply> {
  switch (req.type) {
    case "start":
      sims.push(
        await startSimulator({
          url: req.url,
          devices: req.devices,
          stateFile: req.stateFile,
          seed: req.seed,
          // Steady devices never go offline on purpose: every missing sample is then the server's doing.
          personalityFor: () => "steady",
          ...(req.intervalMs ? { intervalMs: req.intervalMs } : {}),
          log,
        }),
      );
      return { id: req.id };
    case "stats":
      return { id: req.id, stats: stats() };
    case "stop":
      await Promise.all(sims.splice(0).map((x) => x.stop()));
      return { id: req.id };
  }
}

process.on("message", (req: WorkerRequest) => {
  answer(req).then(
    (r) => process.send?.(r),
    (e: unknown) => process.send?.({ id: req.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
// The bench going away (crash, kill) must not leave simulated devices behind.
process.on("disconnect", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
