import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Writes a file so that a reader sees either the old or the new content, never half of it: write a
 * temp file in the same directory (same filesystem, so rename is atomic), fsync it, rename it over.
 * The parent directory is created with `dirMode` when missing; an existing one is left as it is.
 */
export async function writeFileAtomic(
  path: string,
  content: string,
  options: { mode: number; dirMode: number },
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: options.dirMode });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    // "wx" refuses to follow a planted file or symlink; the mode is set at creation, so the
    // content is never readable by others, not even for an instant.
    const handle = await open(tmp, "wx", options.mode);
    try {
      await handle.writeFile(content, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The umask may have cleared bits of `mode`; it can never add any, but make it exact.
    await chmod(tmp, options.mode);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
