import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AppError } from "../../errors.ts";

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

  /**
   * Streams `source` to a fresh file under incoming/, hashing on the way, never holding more than a chunk in
   * memory. Past `maxBytes` it stops reading and throws `tooLarge()`. On any failure (including the source
   * ending early, as an aborted upload does) the partial file is deleted before the error is rethrown.
   * The source itself is not destroyed on a refusal, so an HTTP request can still be answered (413).
   */
  async writeIncoming(
    source: Readable,
    opts: { maxBytes: number; tooLarge: () => Error },
  ): Promise<{ path: string; sha256: string; sizeBytes: number }> {
    await this.init();
    const hash = createHash("sha256");
    const tmp = this.incomingPath();
    let size = 0;
    // pipe(), unlike pipeline(), leaves the source alive when the copy fails; it does not pass on the
    // source's own failure, so a source that closes before its end fails the copy here.
    const relay = new PassThrough();
    const onClose = () => {
      if (!source.readableEnded)
        relay.destroy(new AppError("BAD_REQUEST", "The upload ended before all its bytes arrived."));
    };
    source.once("close", onClose);
    source.pipe(relay);
    try {
      await pipeline(
        relay,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            size += chunk.length;
            if (size > opts.maxBytes) throw opts.tooLarge();
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(tmp, { mode: 0o600 }),
      );
      return { path: tmp, sha256: hash.digest("hex"), sizeBytes: size };
    } catch (e) {
      source.unpipe(relay);
      source.pause();
      await rm(tmp, { force: true });
      throw e;
    } finally {
      source.off("close", onClose);
    }
  }

  /** Copies a file from this machine into the store (hashing it on the way) and returns its hash and size. */
  async importFile(path: string): Promise<{ sha256: string; sizeBytes: number }> {
    const written = await this.writeIncoming(createReadStream(path), {
      maxBytes: Number.MAX_SAFE_INTEGER,
      tooLarge: () => new Error("unreachable"),
    });
    try {
      await this.commit(written.path, written.sha256);
    } catch (e) {
      await rm(written.path, { force: true });
      throw e;
    }
    return { sha256: written.sha256, sizeBytes: written.sizeBytes };
  }

  /** Deletes a blob's file (nothing when it is already gone). The caller makes sure nothing refers to it. */
  async remove(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  /** Removes leftovers of uploads cut short by a crash (nothing is ever written there for long). */
  async clearIncoming(): Promise<void> {
    await rm(this.incomingDir, { recursive: true, force: true });
    await mkdir(this.incomingDir, { recursive: true });
  }
}
