/** The answer of POST /api/models/upload. */
export type UploadAnswer =
  | { ok: true; data: { modelId: string; versionId: string } }
  | { ok: false; error: { code: string; message: string } };

export interface UploadHandle {
  promise: Promise<UploadAnswer>;
  cancel: () => void;
}

export interface UploadRequest {
  file: Blob;
  name: string;
  variant: string;
  /** Adds the file as a new version of this model rather than a new model. */
  modelId?: string | null;
  onProgress: (loadedBytes: number, totalBytes: number) => void;
}

const CANCELLED: UploadAnswer = { ok: false, error: { code: "CANCELLED", message: "Upload cancelled." } };

/**
 * Streams the raw file to the server. XMLHttpRequest rather than fetch: only it reports upload progress, which
 * a multi-gigabyte file needs. The session cookie goes with it (same origin).
 */
export function startUpload(req: UploadRequest): UploadHandle {
  const xhr = new XMLHttpRequest();
  const params = new URLSearchParams({ name: req.name, variant: req.variant });
  if (req.modelId) params.set("modelId", req.modelId);
  const promise = new Promise<UploadAnswer>((resolve) => {
    xhr.upload.onprogress = (e) => req.onProgress(e.loaded, e.lengthComputable ? e.total : req.file.size);
    xhr.onload = () => resolve(parseAnswer(xhr.status, xhr.responseText));
    xhr.onerror = () =>
      resolve({
        ok: false,
        error: { code: "NETWORK", message: "The connection to the server broke during the upload. Try again." },
      });
    xhr.onabort = () => resolve(CANCELLED);
    xhr.open("POST", `/api/models/upload?${params.toString()}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader("content-type", "application/octet-stream");
    xhr.send(req.file);
  });
  return { promise, cancel: () => xhr.abort() };
}

/** Reads the server's coded answer; anything else (a proxy's HTML page, an empty body) becomes a plain message. */
export function parseAnswer(status: number, text: string): UploadAnswer {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === "object") {
      const b = body as { ok?: unknown; data?: unknown; error?: unknown };
      if (b.ok === true && b.data && typeof b.data === "object") {
        const d = b.data as { modelId?: unknown; versionId?: unknown };
        if (typeof d.modelId === "string" && typeof d.versionId === "string") {
          return { ok: true, data: { modelId: d.modelId, versionId: d.versionId } };
        }
      }
      if (b.error && typeof b.error === "object") {
        const e = b.error as { code?: unknown; message?: unknown };
        return {
          ok: false,
          error: {
            code: typeof e.code === "string" ? e.code : "UPLOAD_FAILED",
            message: typeof e.message === "string" && e.message ? e.message : "The server refused the file.",
          },
        };
      }
    }
  } catch {
    // not JSON: fall through
  }
  if (status === 401)
    return { ok: false, error: { code: "UNAUTHORIZED", message: "Your session ended. Sign in again." } };
  if (status === 413) {
    return { ok: false, error: { code: "TOO_LARGE", message: "The file is larger than the server accepts." } };
  }
  return { ok: false, error: { code: "UPLOAD_FAILED", message: `The upload failed (HTTP ${status}).` } };
}

/** What the browser can tell before sending anything: the format from the name, and an empty file. */
export function checkFile(file: { name: string; size: number }, maxBytes: number): string | null {
  if (!/\.(onnx|gguf)$/i.test(file.name)) return "Choose an ONNX (.onnx) or GGUF (.gguf) file.";
  if (file.size === 0) return "This file is empty.";
  if (file.size > maxBytes) return "This file is larger than the 64 GiB the server accepts.";
  return null;
}

/** A default name for the catalog entry: the file name without its extension. */
export function nameFromFile(fileName: string): string {
  return fileName.replace(/\.(onnx|gguf)$/i, "").slice(0, 120);
}
