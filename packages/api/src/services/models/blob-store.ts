import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Model files on the server's disk, content-addressed: `<dir>/blobs/<sha256>`. A file is written under
 * `<dir>/incoming/` first and renamed into place only once its hash is known, so a blob's name always matches
 * its bytes and a failed upload leaves nothing in `blobs/`.
 */
export class BlobStore {
  readonly blobsDir: string;
  readonly incomingDir: string;

  constructor(readonly dir: string) {
    this.blobsDir = join(dir, "blobs");
    this.incomingDir = join(dir, "incoming");
  }

  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await mkdir(this.incomingDir, { recursive: true });
  }

  /** The path of a blob; throws on anything that is not a SHA-256, so a request can never name another file. */
  pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error("not a SHA-256");
    return join(this.blobsDir, sha256);
  }

  /** Its size, or null when it is not stored. */
  async sizeOf(sha256: string): Promise<number | null> {
    const s = await stat(this.pathOf(sha256)).catch(() => null);
    return s?.isFile() ? s.size : null;
  }

  /** A fresh path under incoming/ for a file being written. */
  incomingPath(): string {
    return join(this.incomingDir, `${randomUUID()}.part`);
  }

  /** Moves a fully written incoming file into place under its hash (a no-op when that blob already exists). */
  async commit(incoming: string, sha256: string): Promise<string> {
    const dest = this.pathOf(sha256);
    if ((await this.sizeOf(sha256)) !== null) {
      await rm(incoming, { force: true });
      return dest;
    }
    await rename(incoming, dest);
    return dest;
  }

  /** Copies a file from this machine into the store (hashing it on the way) and returns its hash and size. */
  async importFile(path: string): Promise<{ sha256: string; sizeBytes: number }> {
    await this.init();
    const hash = createHash("sha256");
    const tmp = this.incomingPath();
    const { createWriteStream } = await import("node:fs");
    let size = 0;
    try {
      await pipeline(
        createReadStream(path),
        async function* (source) {
          for await (const chunk of source as AsyncIterable<Buffer>) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(tmp, { mode: 0o600 }),
      );
      const sha256 = hash.digest("hex");
      await this.commit(tmp, sha256);
      return { sha256, sizeBytes: size };
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}
