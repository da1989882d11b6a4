import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** SHA-256 and size of a file on disk, streamed so a large model is not read into memory at once. */
export async function describeFile(path: string): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const { size } = await stat(path);
  return { sha256: hash.digest("hex"), sizeBytes: size };
}

async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

let tempCounter = 0;

/**
 * Writes `bytes` to `path` unless the file already holds exactly them. The write goes to a temporary file
 * first and is renamed into place, so a reader (or a second process generating the same model) never sees
 * half a file.
 */
export async function writeFileIfChanged(path: string, bytes: Uint8Array): Promise<"written" | "unchanged"> {
  const existing = await readIfExists(path);
  if (existing && existing.length === bytes.length && sha256Hex(existing) === sha256Hex(bytes)) return "unchanged";
  await mkdir(dirname(path), { recursive: true });
  // pid + counter keeps concurrent writers, in one process or several, off each other's temporary file.
  tempCounter += 1;
  const temp = `${path}.${process.pid}.${tempCounter}.tmp`;
  await writeFile(temp, bytes);
  await rename(temp, path);
  return "written";
}
