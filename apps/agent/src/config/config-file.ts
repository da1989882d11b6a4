import { readFile, stat } from "node:fs/promises";
import { bufferMaxBytesSchema } from "@labfleet/protocol";
import { z } from "zod";
import { AgentError, errnoCode } from "../errors.ts";
import { EXIT } from "../exit-codes.ts";
import { writeFileAtomic } from "./atomic-write.ts";

/**
 * The agent's config file: the identity that enrollment produced. Local to this machine, not a wire
 * shape. The secret makes the file as sensitive as a password: mode 0600, directory 0700.
 */
export const agentConfigFileSchema = z.object({
  serverUrl: z.url({ protocol: /^https?$/ }),
  deviceId: z.string().min(1).max(64),
  deviceSecret: z.string().min(1).max(256),
  name: z.string().max(256),
  /** Cap of the offline buffer in bytes (default 64 MiB); the server's `bufferMaxBytes` overrides it. */
  bufferMaxBytes: bufferMaxBytesSchema.optional(),
  /** Cap of the model cache in bytes (default 10 GiB): 64 MiB to 4 TiB. Files of deployed models always stay. */
  modelCacheMaxBytes: z
    .number()
    .int()
    .min(64 * 1024 ** 2)
    .max(4 * 1024 ** 4)
    .optional(),
});
export type AgentConfigFile = Readonly<z.infer<typeof agentConfigFileSchema>>;

export const CONFIG_FILE_MODE = 0o600;
export const CONFIG_DIR_MODE = 0o700;

const ENROLL_HINT = "Enroll this device first: labfleet-agent enroll --server URL --token TOKEN";

export async function writeConfigFile(path: string, config: AgentConfigFile): Promise<void> {
  const valid = agentConfigFileSchema.parse(config);
  await writeFileAtomic(path, `${JSON.stringify(valid, null, 2)}\n`, {
    mode: CONFIG_FILE_MODE,
    dirMode: CONFIG_DIR_MODE,
  });
}

/** Reads and validates the config. Every failure is an AgentError with exit code 7 and a message that says what to do. */
export async function readConfigFile(path: string): Promise<AgentConfigFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = errnoCode(e);
    if (code === "ENOENT") {
      throw new AgentError("CONFIG_MISSING", EXIT.CONFIG_INVALID, `No agent config at ${path}. ${ENROLL_HINT}`);
    }
    if (code === "EACCES" || code === "EPERM") {
      throw new AgentError(
        "CONFIG_UNREADABLE",
        EXIT.CONFIG_INVALID,
        `Cannot read the agent config at ${path}: permission denied. Run as the user that enrolled (or with sudo).`,
      );
    }
    if (code === "EISDIR") {
      throw new AgentError(
        "CONFIG_UNREADABLE",
        EXIT.CONFIG_INVALID,
        `${path} is a directory, not an agent config file.`,
      );
    }
    throw new AgentError(
      "CONFIG_UNREADABLE",
      EXIT.CONFIG_INVALID,
      `Cannot read the agent config at ${path} (${code ?? "unknown error"}).`,
      { cause: e },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentError(
      "CONFIG_CORRUPT",
      EXIT.CONFIG_INVALID,
      `The agent config at ${path} is not valid JSON. Fix it, or delete it and enroll again.`,
    );
  }
  const parsed = agentConfigFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new AgentError(
      "CONFIG_CORRUPT",
      EXIT.CONFIG_INVALID,
      `The agent config at ${path} is not valid (${problems}). Fix it, or delete it and enroll again.`,
    );
  }
  return Object.freeze(parsed.data);
}

/** True when group or others can read the file: the secret inside is then exposed to other local users. */
export async function isConfigExposed(path: string): Promise<boolean> {
  if (process.platform === "win32") return false;
  const s = await stat(path);
  return (s.mode & 0o077) !== 0;
}
