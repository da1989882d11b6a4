import { modelFormatSchema, modelRuntimeSchema, modelTaskSchema } from "@labfleet/protocol";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import type { Db } from "../deps.ts";
import type { BlobStore } from "./blob-store.ts";

/**
 * What a device needs to run a version, estimated: the files twice (once on disk in the cache, once loaded by
 * the runtime) plus 128 MiB for the runtime and the agent's working memory. Not measured; a rule of thumb that
 * is on the safe side for the bundled ONNX models and the usual GGUF sizes.
 */
export function estimateMinMemoryBytes(totalFileBytes: number): number {
  return totalFileBytes * 2 + 128 * 1024 * 1024;
}

/** Deployments in these states no longer hold a version on any device. */
export const FINISHED_DEPLOYMENT_STATES = ["removed", "rolled_back"] as const;

export const modelNameSchema = z
  .string()
  .trim()
  .min(1, "A model needs a name")
  .max(120)
  .regex(/^[^\p{Cc}]*$/u, "no control characters");
export const modelDescriptionSchema = z.string().trim().max(2000);
export const variantSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{0,39}$/, "letters, digits, '.', '_' or '-', at most 40");

const tensorIo = z.object({
  name: z.string(),
  type: z.string(),
  shape: z.array(z.union([z.number(), z.string()])),
});
/** ModelVersion.io: the inputs and outputs of each ONNX file of the version (empty for GGUF). */
export const versionIoSchema = z.array(
  z.object({ file: z.string(), inputs: z.array(tensorIo), outputs: z.array(tensorIo) }),
);
export type VersionIo = z.infer<typeof versionIoSchema>;

export const modelFileOutput = z.object({
  name: z.string(),
  role: z.string(),
  sha256: z.string(),
  sizeBytes: z.number(),
});
export const modelVersionOutput = z.object({
  id: z.string(),
  variant: z.string(),
  format: modelFormatSchema,
  runtime: modelRuntimeSchema,
  io: versionIoSchema,
  meta: z.record(z.string(), z.unknown()),
  minMemoryBytes: z.number(),
  totalBytes: z.number(),
  createdAt: z.date(),
  files: z.array(modelFileOutput),
});
export const modelOutput = z.object({
  id: z.string(),
  slug: z.string().nullable(),
  name: z.string(),
  description: z.string(),
  task: modelTaskSchema,
  origin: z.enum(["bundled", "generated", "uploaded"]),
  synthetic: z.boolean(),
  licence: z.string().nullable(),
  sourcePackage: z.string().nullable(),
  sourceVersion: z.string().nullable(),
  createdAt: z.date(),
  versions: z.array(modelVersionOutput),
});
export type ModelOutput = z.infer<typeof modelOutput>;

const modelSelect = {
  id: true,
  slug: true,
  name: true,
  description: true,
  task: true,
  origin: true,
  synthetic: true,
  licence: true,
  sourcePackage: true,
  sourceVersion: true,
  createdAt: true,
  versions: {
    orderBy: { createdAt: "asc" },
    select: {
      id: true,
      variant: true,
      format: true,
      runtime: true,
      io: true,
      meta: true,
      minMemoryBytes: true,
      createdAt: true,
      files: {
        orderBy: { name: "asc" },
        select: { name: true, role: true, sha256: true, blob: { select: { sizeBytes: true } } },
      },
    },
  },
} as const;

type ModelRow = NonNullable<Awaited<ReturnType<typeof findModel>>>;

function findModel(db: Db, id: string) {
  return db.prisma.model.findUnique({ where: { id }, select: modelSelect });
}

function toOutput(m: ModelRow): ModelOutput {
  return modelOutput.parse({
    ...m,
    versions: m.versions.map((v) => {
      const files = v.files.map((f) => ({
        name: f.name,
        role: f.role,
        sha256: f.sha256,
        sizeBytes: Number(f.blob.sizeBytes),
      }));
      return {
        ...v,
        minMemoryBytes: Number(v.minMemoryBytes),
        totalBytes: files.reduce((sum, f) => sum + f.sizeBytes, 0),
        files,
      };
    }),
  });
}

export async function listModels(db: Db): Promise<ModelOutput[]> {
  const rows = await db.prisma.model.findMany({ select: modelSelect, orderBy: [{ origin: "asc" }, { name: "asc" }] });
  return rows.map(toOutput);
}

export async function getModel(db: Db, id: string): Promise<ModelOutput> {
  const row = await findModel(db, id);
  if (!row) throw new AppError("NOT_FOUND", "That model does not exist.");
  return toOutput(row);
}

export const updateModelInput = z.object({
  id: z.string().min(1).max(64),
  name: modelNameSchema.optional(),
  description: modelDescriptionSchema.optional(),
});

export async function updateModel(db: Db, input: z.input<typeof updateModelInput>): Promise<ModelOutput> {
  const data = updateModelInput.parse(input);
  const updated = await db.prisma.model.updateMany({
    where: { id: data.id },
    data: {
      ...(data.name !== undefined ? { name: data.name } : {}),
      ...(data.description !== undefined ? { description: data.description } : {}),
    },
  });
  if (updated.count === 0) throw new AppError("NOT_FOUND", "That model does not exist.");
  return getModel(db, data.id);
}

/**
 * Deletes a model with its versions, then the blobs that no other version uses. Refused while a deployment of
 * one of its versions is live (devices hold it or are fetching it): remove or roll that deployment back first.
 */
export async function removeModel(db: Db, blobs: BlobStore, id: string): Promise<{ id: string; blobsDeleted: number }> {
  const files = await db.prisma.$transaction(async (tx) => {
    const model = await tx.model.findUnique({
      where: { id },
      select: { versions: { select: { id: true, files: { select: { sha256: true } } } } },
    });
    if (!model) throw new AppError("NOT_FOUND", "That model does not exist.");
    const versionIds = model.versions.map((v) => v.id);
    const live = await tx.deployment.count({
      where: { versionId: { in: versionIds }, status: { notIn: [...FINISHED_DEPLOYMENT_STATES] } },
    });
    if (live > 0) {
      throw new AppError(
        "CONFLICT",
        `This model is deployed (${live} live deployment${live === 1 ? "" : "s"}). Remove or roll back the deployment first.`,
      );
    }
    await tx.model.delete({ where: { id } });
    return [...new Set(model.versions.flatMap((v) => v.files.map((f) => f.sha256)))];
  });
  return { id, blobsDeleted: await deleteUnreferencedBlobs(db, blobs, files) };
}

/** Deletes the Blob rows and files among `candidates` that no version refers to any more. */
export async function deleteUnreferencedBlobs(db: Db, blobs: BlobStore, candidates: string[]): Promise<number> {
  if (candidates.length === 0) return 0;
  const deleted = await db.prisma.blob.findMany({
    where: { sha256: { in: candidates }, files: { none: {} } },
    select: { sha256: true },
  });
  let n = 0;
  for (const { sha256 } of deleted) {
    // The row goes only if still unreferenced at this moment (a concurrent upload may have claimed it).
    const gone = await db.prisma.blob.deleteMany({ where: { sha256, files: { none: {} } } });
    if (gone.count === 0) continue;
    await blobs.remove(sha256);
    n++;
  }
  return n;
}
