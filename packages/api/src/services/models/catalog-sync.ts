import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CatalogEntry, CatalogVariant } from "@labfleet/catalog";
import { modelFileRefSchema } from "@labfleet/protocol";
import { z } from "zod";
import type { Logger } from "../../logger.ts";
import type { Db } from "../deps.ts";
import type { BlobStore } from "./blob-store.ts";
import { readGgufHeader } from "./gguf.ts";
import { estimateMinMemoryBytes, type VersionIo, versionIoSchema } from "./model.ts";
import { inspectOnnx } from "./onnx-inspect.ts";

export interface CatalogSyncResult {
  modelsCreated: number;
  versionsCreated: number;
  versionsUpdated: number;
  versionsUnchanged: number;
  failed: Array<{ slug: string; message: string }>;
}

/**
 * Hashes of catalog files by path, size and modification time: a second start hashes nothing (the bundled
 * files are tens of MB). Kept beside the blobs; a lost or stale cache only costs a re-hash.
 */
const hashCacheSchema = z.record(z.string(), z.object({ size: z.number(), mtimeMs: z.number(), sha256: z.string() }));
type HashCache = z.infer<typeof hashCacheSchema>;

async function loadCache(path: string): Promise<HashCache> {
  const text = await readFile(path, "utf8").catch(() => null);
  if (!text) return {};
  try {
    const parsed = hashCacheSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** The blob of a file on this machine: from the cache when the file is unchanged, else imported (hashed). */
async function blobOf(
  blobs: BlobStore,
  cache: HashCache,
  path: string,
): Promise<{ sha256: string; sizeBytes: number }> {
  const s = await stat(path);
  const hit = cache[path];
  if (hit && hit.size === s.size && hit.mtimeMs === s.mtimeMs && (await blobs.sizeOf(hit.sha256)) === s.size) {
    return { sha256: hit.sha256, sizeBytes: s.size };
  }
  const imported = await blobs.importFile(path);
  cache[path] = { size: s.size, mtimeMs: s.mtimeMs, sha256: imported.sha256 };
  return imported;
}

interface PreparedFile {
  name: string;
  role: string;
  sha256: string;
  sizeBytes: number;
  path: string;
}

function sameFiles(a: Array<{ name: string; role: string; sha256: string }>, b: PreparedFile[]): boolean {
  const key = (f: { name: string; role: string; sha256: string }) => `${f.name}\u0000${f.role}\u0000${f.sha256}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

/** Inputs and outputs of the ONNX files, the GGUF header facts into meta. */
async function readFormatFacts(variant: CatalogVariant, files: PreparedFile[]) {
  const io: VersionIo = [];
  const meta: Record<string, unknown> = { ...variant.meta };
  for (const f of files) {
    if (variant.format === "onnx" && f.name.endsWith(".onnx")) {
      io.push({ file: f.name, ...(await inspectOnnx(f.path)) });
    } else if (variant.format === "gguf" && f.name.endsWith(".gguf")) {
      meta.gguf = await readGgufHeader(f.path);
    } else if (variant.format === "tfjs" && f.role === "model") {
      // A tfjs weights manifest declares no inputs or outputs; the catalog states them in meta.
      const declared = versionIoSchema.element
        .omit({ file: true })
        .safeParse({ inputs: variant.meta.inputs, outputs: variant.meta.outputs });
      if (declared.success) io.push({ file: f.name, ...declared.data });
    }
  }
  return { io, meta };
}

async function syncVariant(
  db: Db,
  blobs: BlobStore,
  cache: HashCache,
  modelId: string,
  variant: CatalogVariant,
): Promise<"created" | "updated" | "unchanged"> {
  const files: PreparedFile[] = [];
  for (const f of variant.files) {
    // The names and roles travel to the agents: check them against the wire contract here, once.
    const ref = modelFileRefSchema.pick({ name: true, role: true }).parse({ name: f.name, role: f.role });
    const blob = await blobOf(blobs, cache, f.path);
    // The wire contract has no empty files: a device could not tell one from a failed download.
    if (blob.sizeBytes === 0) throw new Error(`${f.name} is empty`);
    files.push({ ...ref, path: f.path, ...blob });
  }
  const existing = await db.prisma.modelVersion.findUnique({
    where: { modelId_variant: { modelId, variant: variant.variant } },
    select: { id: true, files: { select: { name: true, role: true, sha256: true } } },
  });
  if (existing && sameFiles(existing.files, files)) return "unchanged";

  // Only new or changed files are loaded: this is the slow part (a process per ONNX file).
  const { io, meta } = await readFormatFacts(variant, files);
  const totalBytes = files.reduce((s, f) => s + f.sizeBytes, 0);
  const data = {
    format: variant.format,
    runtime: variant.runtime,
    io,
    meta: meta as object,
    // The catalog may know better than the estimate (a runtime whose working memory dwarfs its files).
    minMemoryBytes: BigInt(
      Math.max(
        estimateMinMemoryBytes(totalBytes),
        typeof variant.meta.minMemoryBytes === "number" ? variant.meta.minMemoryBytes : 0,
      ),
    ),
  };
  await db.prisma.$transaction(async (tx) => {
    for (const f of files) {
      await tx.blob.upsert({
        where: { sha256: f.sha256 },
        create: { sha256: f.sha256, sizeBytes: BigInt(f.sizeBytes) },
        update: {},
      });
    }
    const fileRows = files.map((f) => ({ name: f.name, role: f.role, sha256: f.sha256 }));
    if (existing) {
      // A package upgrade changed the bytes: same version, new files; agents see new hashes and fetch again.
      await tx.modelVersionFile.deleteMany({ where: { versionId: existing.id } });
      await tx.modelVersion.update({ where: { id: existing.id }, data: { ...data, files: { create: fileRows } } });
    } else {
      await tx.modelVersion.create({
        data: { ...data, modelId, variant: variant.variant, files: { create: fileRows } },
      });
    }
  });
  return existing ? "updated" : "created";
}

/**
 * Puts the catalog into the database and the blob store: idempotent, by slug and variant. Runs at every
 * start; the second time it only stats the files and compares rows. An entry that fails (a missing file, a
 * model the runtime cannot load) is logged and skipped so that the server still starts.
 */
export async function syncCatalog(
  db: Db,
  blobs: BlobStore,
  entries: CatalogEntry[],
  log: Logger,
): Promise<CatalogSyncResult> {
  await blobs.init();
  const cachePath = join(blobs.dir, "catalog-hashes.json");
  const cache = await loadCache(cachePath);
  const result: CatalogSyncResult = {
    modelsCreated: 0,
    versionsCreated: 0,
    versionsUpdated: 0,
    versionsUnchanged: 0,
    failed: [],
  };
  for (const entry of entries) {
    try {
      const fields = {
        name: entry.name,
        description: entry.description,
        task: entry.task,
        origin: entry.origin,
        synthetic: entry.synthetic,
        licence: entry.licence,
        sourcePackage: entry.sourcePackage,
        sourceVersion: entry.sourceVersion,
      };
      const before = await db.prisma.model.findUnique({
        where: { slug: entry.slug },
        select: { id: true, ...Object.fromEntries(Object.keys(fields).map((k) => [k, true])) },
      });
      let modelId: string;
      if (!before) {
        modelId = (await db.prisma.model.create({ data: { ...fields, slug: entry.slug }, select: { id: true } })).id;
        result.modelsCreated++;
      } else {
        modelId = before.id;
        // The catalog's text wins over edits in the dashboard: it describes what ships with this release.
        const stale = Object.entries(fields).some(([k, v]) => (before as Record<string, unknown>)[k] !== v);
        if (stale) await db.prisma.model.update({ where: { id: modelId }, data: fields });
      }
      for (const variant of entry.variants) {
        const outcome = await syncVariant(db, blobs, cache, modelId, variant);
        if (outcome === "created") result.versionsCreated++;
        else if (outcome === "updated") result.versionsUpdated++;
        else result.versionsUnchanged++;
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.error({ err, slug: entry.slug }, "catalog entry not synced");
      result.failed.push({ slug: entry.slug, message });
    }
  }
  await writeFile(cachePath, JSON.stringify(cache), { mode: 0o600 }).catch((err: unknown) =>
    log.warn({ err }, "catalog hash cache not written"),
  );
  return result;
}
