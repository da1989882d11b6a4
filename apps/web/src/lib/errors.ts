import { TRPCClientError } from "@trpc/client";

/** The tRPC error code of a failed call (`UNAUTHORIZED`, `NOT_FOUND`, ...), or null when it is not a tRPC error. */
export function errorCode(error: unknown): string | null {
  if (error instanceof TRPCClientError) {
    const data: unknown = error.data;
    if (data && typeof data === "object" && "code" in data && typeof data.code === "string") return data.code;
  }
  return null;
}

/** A message that is safe and useful to show a person. The server's messages are written for people. */
export function errorMessage(error: unknown, fallback = "Something went wrong. Please try again."): string {
  if (error instanceof TRPCClientError) {
    if (errorCode(error) === null) return "Cannot reach the server. Check the connection and try again.";
    return error.message || fallback;
  }
  return fallback;
}

let redirecting = false;

/** Sends the browser to the login page once, remembering where it was. */
export function goToLogin(): void {
  if (typeof window === "undefined" || redirecting) return;
  if (window.location.pathname === "/login") return;
  redirecting = true;
  const next = window.location.pathname + window.location.search;
  window.location.assign(`/login?next=${encodeURIComponent(next)}`);
}

/** Only same-origin paths are accepted as a post-login destination, so a crafted link cannot bounce elsewhere. */
export function safeNextPath(next: string | null): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/devices";
  if (next.startsWith("/login")) return "/devices";
  return next;
}
