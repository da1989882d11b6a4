import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { ModelFileRef, ModelVersionRef } from "@labfleet/protocol";
import type { CachedFile, ModelStore } from "./types.ts";

export interface LocalFile {
  name: string;
  role: string;
  path: string;
}

async function describe(f: LocalFile): Promise<ModelFileRef> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(f.path)) hash.update(chunk as Buffer);
  return { name: f.name, role: f.role, sha256: hash.digest("hex"), sizeBytes: (await stat(f.path)).size };
}

/**
 * A model store over files already on this machine, for the inference benchmark and the workload tests: it
 * stands in for the agent's download cache (apps/agent/src/models), which is the only thing it skips.
 * It still checks that each file asked for is the one it holds, by SHA-256.
 */
export class LocalModelStore implements ModelStore {
  private constructor(private readonly files: Map<string, CachedFile>) {}

  static async of(files: LocalFile[]): Promise<{ store: LocalModelStore; refs: ModelFileRef[] }> {
    const refs = await Promise.all(files.map(describe));
    const cached = new Map<string, CachedFile>();
    files.forEach((f, i) => {
      const ref = refs[i] as ModelFileRef;
      cached.set(ref.sha256, { name: f.name, role: f.role, sha256: ref.sha256, path: f.path });
    });
    return { store: new LocalModelStore(cached), refs };
  }

  async ensure(
    ref: ModelVersionRef,
    opts: { onProgress?: (percent: number) => void; signal?: AbortSignal },
  ): Promise<Map<string, CachedFile>> {
    const out = new Map<string, CachedFile>();
    for (const f of ref.files) {
      if (opts.signal?.aborted) throw Object.assign(new Error("The download was cancelled."), { code: "CANCELLED" });
      const held = this.files.get(f.sha256);
      if (!held) throw Object.assign(new Error(`No local file has SHA-256 ${f.sha256}.`), { code: "DOWNLOAD_FAILED" });
      out.set(f.name, { ...held, name: f.name, role: f.role });
    }
    opts.onProgress?.(100);
    return out;
  }
}
