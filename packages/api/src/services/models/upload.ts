import { rm } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { ModelFormat, ModelRuntime, ModelTask } from "@labfleet/protocol";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import type { Db } from "../deps.ts";
import type { BlobStore } from "./blob-store.ts";
import { hasGgufMagic, readGgufHeader } from "./gguf.ts";
import { estimateMinMemoryBytes, modelNameSchema, type VersionIo, variantSchema } from "./model.ts";
import { inspectOnnx } from "./onnx-inspect.ts";

export const DEFAULT_MAX_UPLOAD_MB = 16_384;

/** The upload cap from LABFLEET_MODEL_MAX_UPLOAD_MB (MiB), read per request so a change needs no restart. */
export function maxUploadBytesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const mb = z.coerce
    .number()
    .int()
    .min(1)
    .max(1_048_576)
    .default(DEFAULT_MAX_UPLOAD_MB)
    .safeParse(env.LABFLEET_MODEL_MAX_UPLOAD_MB || undefined);
  if (!mb.success) throw new AppError("INTERNAL", "LABFLEET_MODEL_MAX_UPLOAD_MB is not a whole number of MiB.");
  return mb.data * 1024 * 1024;
}

export const uploadParamsSchema = z.object({
  name: modelNameSchema.optional(),
  variant: variantSchema.optional(),
  modelId: z.string().min(1).max(64).optional(),
});
export type UploadParams = z.infer<typeof uploadParamsSchema>;

export interface UploadOptions {
  maxBytes: number;
  /** The request's Content-Length when it sent one: a body announced too large is refused before reading it. */
  declaredBytes: number | null;
  userId: string;
  inspectTimeoutMs?: number;
  /** Called once the whole body is on disk, before the (slow) validation. */
  onBodyRead?: () => void;
}

const MODEL_FILE = /\.(onnx|gguf)$/;

/** What the existing model needs from a new version, checked before reading a possibly huge body. */
interface Target {
  modelId: string;
  format: ModelFormat | null;
  /** The name and role the uploaded file takes, and the other files (evaluation sets) it shares with the model. */
  fileName: string | null;
  fileRole: string;
  extraFiles: Array<{ name: string; role: string; sha256: string; sizeBytes: number }>;
  variants: Set<string>;
}

async function findTarget(db: Db, modelId: string): Promise<Target> {
  const model = await db.prisma.model.findUnique({
    where: { id: modelId },
    select: {
      id: true,
      versions: {
        orderBy: { createdAt: "desc" },
        select: {
          variant: true,
          format: true,
          files: { select: { name: true, role: true, sha256: true, blob: { select: { sizeBytes: true } } } },
        },
      },
    },
  });
  if (!model) throw new AppError("NOT_FOUND", "That model does not exist.");
  const newest = model.versions[0];
  const modelFiles = newest?.files.filter((f) => MODEL_FILE.test(f.name)) ?? [];
  if (newest && modelFiles.length !== 1) {
    // PP-OCR has a detection and a recognition network: one uploaded file cannot say which it replaces.
    throw new AppError(
      "BAD_REQUEST",
      "This model consists of several model files; a new version cannot be one upload.",
    );
  }
  const modelFile = modelFiles[0];
  return {
    modelId: model.id,
    format: (newest?.format as ModelFormat | undefined) ?? null,
    fileName: modelFile?.name ?? null,
    fileRole: modelFile?.role ?? "model",
    extraFiles: (newest?.files ?? [])
      .filter((f) => !MODEL_FILE.test(f.name))
      .map((f) => ({ name: f.name, role: f.role, sha256: f.sha256, sizeBytes: Number(f.blob.sizeBytes) })),
    variants: new Set(model.versions.map((v) => v.variant)),
  };
}

function duplicateVariant(variant: string): AppError {
  return new AppError("CONFLICT", `This model already has a version "${variant}". Choose another variant name.`);
}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "P2002";
}

/** Reads the file's format facts: a GGUF header, or the inputs and outputs of an ONNX model. */
async function validate(path: string, inspectTimeoutMs: number | undefined) {
  if (await hasGgufMagic(path)) {
    const gguf = await readGgufHeader(path);
    return {
      format: "gguf" as const,
      runtime: "node-llama-cpp" as ModelRuntime,
      task: "llm" as ModelTask,
      io: [] as VersionIo,
      meta: { gguf } as Record<string, unknown>,
      defaultVariant: gguf.quantisation?.toLowerCase() ?? null,
    };
  }
  const onnx = await inspectOnnx(path, inspectTimeoutMs === undefined ? {} : { timeoutMs: inspectTimeoutMs });
  return {
    format: "onnx" as const,
    runtime: "onnxruntime-node" as ModelRuntime,
    task: "onnx-generic" as ModelTask,
    io: [{ file: "model.onnx", ...onnx }] as VersionIo,
    meta: {} as Record<string, unknown>,
    defaultVariant: null,
  };
}

/**
 * Takes an uploaded model file: streams it to incoming/ under the size cap while hashing it, validates it by
 * its format, stores it content-addressed and creates the model (or a new version of `modelId`). Whatever
 * fails, the incoming file is deleted and no row is written; a blob this upload added is deleted again.
 */
export async function receiveUpload(
  db: Db,
  blobs: BlobStore,
  body: Readable,
  params: UploadParams,
  opts: UploadOptions,
): Promise<{ modelId: string; versionId: string }> {
  // Everything that can be refused without the body is refused before reading a possibly huge file.
  const target = params.modelId ? await findTarget(db, params.modelId) : null;
  if (!target && !params.name) throw new AppError("BAD_REQUEST", "Give the new model a name.");
  if (target && params.variant && target.variants.has(params.variant)) throw duplicateVariant(params.variant);
  const tooLarge = () =>
    new AppError("PAYLOAD_TOO_LARGE", `Model files are limited to ${Math.floor(opts.maxBytes / 1024 / 1024)} MiB.`);
  if (opts.declaredBytes !== null && opts.declaredBytes > opts.maxBytes) throw tooLarge();

  const incoming = await blobs.writeIncoming(body, { maxBytes: opts.maxBytes, tooLarge });
  opts.onBodyRead?.();
  let committed: string | null = null;
  try {
    if (incoming.sizeBytes === 0) throw new AppError("BAD_REQUEST", "The upload is empty.");
    const facts = await validate(incoming.path, opts.inspectTimeoutMs);
    if (target?.format && target.format !== facts.format) {
      throw new AppError(
        "BAD_REQUEST",
        `This model's versions are ${target.format} files; this file is ${facts.format}.`,
      );
    }
    const variant = params.variant ?? facts.defaultVariant ?? (target ? `v${target.variants.size + 1}` : "original");
    if (target?.variants.has(variant)) throw duplicateVariant(variant);
    const fileName = target?.fileName ?? `model.${facts.format}`;
    const io = facts.io.map((entry) => ({ ...entry, file: fileName }));
    const totalBytes = incoming.sizeBytes + (target?.extraFiles.reduce((s, f) => s + f.sizeBytes, 0) ?? 0);

    const existedBefore = (await blobs.sizeOf(incoming.sha256)) !== null;
    await blobs.commit(incoming.path, incoming.sha256);
    if (!existedBefore) committed = incoming.sha256;

    const created = await db.prisma.$transaction(async (tx) => {
      await tx.blob.upsert({
        where: { sha256: incoming.sha256 },
        create: { sha256: incoming.sha256, sizeBytes: BigInt(incoming.sizeBytes) },
        update: {},
      });
      const modelId =
        target?.modelId ??
        (
          await tx.model.create({
            data: {
              name: params.name ?? "",
              task: facts.task,
              origin: "uploaded",
              synthetic: false,
              createdById: opts.userId,
            },
            select: { id: true },
          })
        ).id;
      const version = await tx.modelVersion.create({
        data: {
          modelId,
          variant,
          format: facts.format,
          runtime: facts.runtime,
          io,
          meta: facts.meta as object,
          minMemoryBytes: BigInt(estimateMinMemoryBytes(totalBytes)),
          files: {
            create: [
              { name: fileName, role: target?.fileRole ?? "model", sha256: incoming.sha256 },
              ...(target?.extraFiles ?? []).map((f) => ({ name: f.name, role: f.role, sha256: f.sha256 })),
            ],
          },
        },
        select: { id: true },
      });
      return { modelId, versionId: version.id };
    });
    committed = null;
    return created;
  } catch (e) {
    if (committed) {
      // Only a blob this upload brought, and only while no row claims it (a concurrent upload of the same bytes).
      const row = await db.prisma.blob.findUnique({ where: { sha256: committed }, select: { sha256: true } });
      if (!row) await blobs.remove(committed);
    }
    if (isUniqueViolation(e)) throw duplicateVariant(params.variant ?? "that variant");
    throw e;
  } finally {
    // Gone already when committed (renamed into blobs/); otherwise this is the failed upload's partial file.
    await rm(incoming.path, { force: true });
  }
}
