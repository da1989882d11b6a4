import type { CachedFile } from "../types.ts";
import { TaskError } from "./task-error.ts";

/** The version's file with this role; for the model itself, the only .onnx file will do when no role says so. */
export function fileWithRole(files: ReadonlyMap<string, CachedFile>, role: string): CachedFile {
  const all = [...files.values()];
  const byRole = all.find((f) => f.role === role);
  if (byRole) return byRole;
  if (role === "model") {
    const onnx = all.filter((f) => f.name.endsWith(".onnx"));
    if (onnx.length === 1 && onnx[0]) return onnx[0];
  }
  throw new TaskError("FILE_MISSING", `The model version has no file of role "${role}".`);
}

export function findFileWithRole(files: ReadonlyMap<string, CachedFile>, role: string): CachedFile | undefined {
  return [...files.values()].find((f) => f.role === role);
}
