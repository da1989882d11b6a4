import type { IncomingMessage, ServerResponse } from "node:http";
import type { Auth } from "../auth.ts";
import type { FleetHub } from "../realtime/hub.ts";
import type { Db } from "../services/deps.ts";
import type { BlobStore } from "../services/models/blob-store.ts";
import { sendJson } from "./json.ts";

export interface ModelsHttpDeps {
  db: Db;
  auth: Auth;
  hub: FleetHub;
  blobs: BlobStore;
}

/** Everything under /api/models/: file downloads for devices, uploads for instructors. */
export async function handleModelsHttp(
  _req: IncomingMessage,
  res: ServerResponse,
  _path: string,
  _deps: ModelsHttpDeps,
): Promise<void> {
  sendJson(res, 404, { error: { code: "NOT_FOUND", message: "No such API." } });
}
