/** Codes a model download or cache operation fails with; they reach the UI in the device's model status. */
export type ModelErrorCode =
  | "HASH_MISMATCH"
  | "DOWNLOAD_FAILED"
  | "DISK_FULL"
  | "CACHE_FULL"
  | "CANCELLED"
  | "NOT_FOUND"
  | "UNAUTHORIZED"
  | "BAD_REQUEST";

/**
 * A coded failure of the model cache. `retryable` says whether another HTTP attempt could fix it (a cut
 * connection, a 503); the message is written for the person reading the dashboard.
 */
export class ModelError extends Error {
  readonly code: ModelErrorCode;
  readonly retryable: boolean;
  constructor(code: ModelErrorCode, message: string, options?: { retryable?: boolean; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ModelError";
    this.code = code;
    this.retryable = options?.retryable ?? false;
  }
}

export function isModelError(e: unknown): e is ModelError {
  return e instanceof ModelError;
}

/** The `{ code, message }` of any failure, for a status report; unknown errors become DOWNLOAD_FAILED. */
export function codedError(e: unknown): { code: string; message: string } {
  if (isModelError(e)) return { code: e.code, message: e.message };
  return { code: "DOWNLOAD_FAILED", message: e instanceof Error ? e.message : String(e) };
}
