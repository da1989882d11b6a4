import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "./config/atomic-write.ts";
import { STATE_FILE_NAME } from "./config/paths.ts";
import { errnoCode } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { SERVICE_CONFIG_PATH, SERVICE_STATE_DIR } from "./service/unit-file.ts";
import { connectionStates } from "./transport/state-machine.ts";

/**
 * The health file: what a running agent last knew about its connection, for `status`, monitoring and
 * people. Written on every state change. No secret in it, so it is readable by others (0644).
 */
export const agentStateFileSchema = z.object({
  state: z.enum(connectionStates),
  /** When the agent entered `state`, epoch ms. */
  since: z.number(),
  server: z.string(),
  deviceId: z.string(),
  lastError: z.object({ code: z.string(), message: z.string(), at: z.number() }).nullable(),
  /** When the next connection attempt is due while backing off, epoch ms. */
  nextRetryAt: z.number().nullable().default(null),
  pid: z.number().int(),
  updatedAt: z.number(),
  /** The offline buffer as last seen; null from an agent that predates it. */
  buffer: z
    .object({
      dir: z.string(),
      bytes: z.number(),
      maxBytes: z.number(),
      records: z.number(),
      telemetry: z.number(),
      events: z.number(),
      droppedSamples: z.number(),
    })
    .nullable()
    .default(null),
  /** When the server last acked a report, epoch ms. */
  lastSendAt: z.number().nullable().default(null),
});
export type AgentStateFile = z.infer<typeof agentStateFileSchema>;

export interface StatePaths {
  dir: string;
  stateFile: string;
  bufferDir: string;
}

/**
 * Where the health file and the offline buffer live: `--state-dir`, `$LABFLEET_AGENT_STATE_DIR`, else beside the
 * config file (so `status` finds them with the same `--config`).
 */
export function resolveStatePaths(configPath: string, flag?: string, envDir?: string): StatePaths {
  // The service's config lives in /etc/labfleet, read-only to it; its state (health file, buffer) in
  // /var/lib/labfleet, so `status` and `doctor` find it there without being told.
  const serviceDefault = resolve(configPath) === SERVICE_CONFIG_PATH ? SERVICE_STATE_DIR : dirname(configPath);
  const dir = resolve(flag ?? envDir ?? serviceDefault);
  return { dir, stateFile: join(dir, STATE_FILE_NAME), bufferDir: join(dir, "buffer") };
}

export async function readStateFile(path: string): Promise<AgentStateFile | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return null;
    throw e;
  }
  try {
    const parsed = agentStateFileSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Serializes writes so that the file always ends with the latest state even when changes come faster
 * than the disk. A failed write is logged once per streak, never thrown: health reporting must not
 * take the agent down.
 */
export class StateFileWriter {
  private chain: Promise<void> = Promise.resolve();
  private failing = false;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {}

  write(state: AgentStateFile): Promise<void> {
    const content = `${JSON.stringify(state, null, 2)}\n`;
    this.chain = this.chain.then(async () => {
      try {
        await writeFileAtomic(this.path, content, { mode: 0o644, dirMode: 0o700 });
        this.failing = false;
      } catch (e) {
        if (!this.failing)
          this.log.warn({ path: this.path, err: errnoCode(e) ?? String(e) }, "cannot write the state file");
        this.failing = true;
      }
    });
    return this.chain;
  }

  /** Resolves when every queued write has finished. */
  flush(): Promise<void> {
    return this.chain;
  }
}

/** Whether a process with this pid exists. EPERM means it exists but belongs to someone else. */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === "EPERM";
  }
}
