import type { IncomingMessage, ServerResponse } from "node:http";
import type { WireError } from "@labfleet/protocol";
import { AppError, httpStatusOf, toWireError } from "../errors.ts";

/** Reads a JSON body of at most `limitBytes`; anything else is a coded AppError. */
export async function readJson(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const type = req.headers["content-type"] ?? "";
  if (!type.startsWith("application/json")) throw new AppError("BAD_REQUEST", "Send the body as application/json.");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new AppError("PAYLOAD_TOO_LARGE", `The body is limited to ${limitBytes} bytes.`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new AppError("BAD_REQUEST", "The body is not valid JSON.");
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(text);
}

/** An error answer: `{ error: { code, message } }` with the code's HTTP status. Never a stack. */
export function sendError(res: ServerResponse, e: unknown): WireError {
  const error = toWireError(e);
  if (!res.headersSent) sendJson(res, httpStatusOf(error.code), { error });
  else res.end();
  return error;
}
