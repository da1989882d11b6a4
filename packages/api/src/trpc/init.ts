import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import type { Auth } from "../auth.ts";
import { isAppError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { FleetHub } from "../realtime/hub.ts";
import { isStaff, parseRole, type Role } from "../roles.ts";
import { assertStorableText } from "../security/text.ts";
import type { Db } from "../services/deps.ts";
import type { BlobStore } from "../services/models/blob-store.ts";

export interface SessionUser {
  id: string;
  name: string;
  email: string;
  role: Role;
}

/** Everything a procedure may use. Built once per request by the HTTP adapter, or by hand in tests. */
export interface Context {
  db: Db;
  auth: Auth;
  hub: FleetHub;
  /** Model files, content-addressed. */
  blobs: BlobStore;
  log: Logger;
  user: SessionUser | null;
}

const TRPC_CODE_OF = {
  BAD_REQUEST: "BAD_REQUEST",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  PROTOCOL_MISMATCH: "BAD_REQUEST",
  DEVICE_REVOKED: "FORBIDDEN",
  BAD_CREDENTIAL: "UNAUTHORIZED",
  TOKEN_UNKNOWN: "FORBIDDEN",
  TOKEN_EXPIRED: "FORBIDDEN",
  TOKEN_REVOKED: "FORBIDDEN",
  TOKEN_USED_UP: "FORBIDDEN",
  BUSY: "CONFLICT",
  RUNTIME_UNAVAILABLE: "PRECONDITION_FAILED",
  MODEL_INVALID: "UNPROCESSABLE_CONTENT",
  INTERNAL: "INTERNAL_SERVER_ERROR",
} as const satisfies Record<import("@labfleet/protocol").ErrorCode, string>;

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  isDev: false,
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof ZodError ? error.cause : null;
    const internal = error.code === "INTERNAL_SERVER_ERROR";
    // tRPC copies the message of what failed while it read the request (a JSON or superjson decoding error, even
    // "Maximum call stack size exceeded" for a hostile document): that message is the library's, not ours.
    const fromLibrary =
      error.cause instanceof Error && !zodError && !isAppError(error.cause) && error.message === error.cause.message;
    return {
      ...shape,
      // Never a stack or an internal message on the wire.
      message: internal
        ? "Something went wrong on the server. It has been logged."
        : fromLibrary
          ? "The request could not be read: it is not valid input for this call."
          : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        appCode: isAppError(error.cause) ? error.cause.code : null,
        fieldErrors: zodError ? zodError.flatten().fieldErrors : null,
      },
    };
  },
});

/** Turns domain errors into tRPC errors once, for every procedure, and logs the unexpected ones. */
const errorMapper = t.middleware(async ({ ctx, next, path }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (isAppError(cause)) {
      result.error = new TRPCError({ code: TRPC_CODE_OF[cause.code], message: cause.message, cause });
    } else if (result.error.code === "INTERNAL_SERVER_ERROR") {
      ctx.log.error({ err: result.error.cause ?? result.error, path }, "procedure failed");
    }
  }
  return result;
});

export const router = t.router;
export const middleware = t.middleware;
export const createCallerFactory = t.createCallerFactory;

/** Text the database cannot store (NUL, lone surrogates) is a bad request, not an error deep in a query. */
const textGuard = t.middleware(async ({ next, getRawInput }) => {
  // An unreadable body is left to tRPC, which answers it with its own coded error when the procedure reads it.
  const input = await getRawInput().catch(() => undefined);
  assertStorableText(input);
  return next();
});

export const publicProcedure = t.procedure.use(errorMapper).use(textGuard);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  // The access rules (classroom/access.ts, fleet-scope.ts) take who is asking, not the whole session.
  return next({ ctx: { ...ctx, user: ctx.user, actor: { id: ctx.user.id, role: ctx.user.role } } });
});

/** Instructors and admins: the people who run the room. */
export const staffProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (!isStaff(ctx.user.role))
    throw new TRPCError({ code: "FORBIDDEN", message: "Only instructors and admins can do this." });
  return next();
});

export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== "admin") throw new TRPCError({ code: "FORBIDDEN", message: "Only admins can do this." });
  return next();
});

export function sessionUser(user: { id: string; name: string; email: string; role?: string | null }): SessionUser {
  return { id: user.id, name: user.name, email: user.email, role: parseRole(user.role) };
}
