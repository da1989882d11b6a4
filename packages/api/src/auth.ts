import type { PrismaClient } from "@labfleet/db";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { createAuthMiddleware, isAPIError } from "better-auth/api";
import { admin, username } from "better-auth/plugins";
import { createAccessControl } from "better-auth/plugins/access";
import { adminAc, defaultStatements, userAc } from "better-auth/plugins/admin/access";
import { type RateLimits, sharedRateLimits, waitText } from "./http/rate-limit.ts";

export interface AuthOptions {
  prisma: PrismaClient;
  /** At least 32 random characters; kept in the data folder when not given. */
  secret: string;
  /** The public origin of the control plane, e.g. http://localhost:3000. https: cookies are Secure. */
  baseURL: string;
  /** Extra origins allowed to make mutating requests (the cookie's CSRF check). */
  trustedOrigins?: string[];
  /** Sign-in limits; absent: the process's shared limits (memory). */
  limits?: RateLimits;
}

// Roles are a closed set; the library refuses to set any other (see STACK.md: setRole accepts any string).
const ac = createAccessControl(defaultStatements);
const roles = {
  admin: ac.newRole(adminAc.statements),
  instructor: ac.newRole({ user: ["list"], session: [] }),
  student: ac.newRole(userAc.statements),
};

const SIGN_IN_PATHS = new Set(["/sign-in/email", "/sign-in/username"]);

/**
 * Who is signing in, as the limits count it: the username or e-mail as the library matches it (lower-cased),
 * whether or not such an account exists, so that a lockout says nothing about which accounts exist.
 */
function signInAccount(body: unknown): string | null {
  if (!body || typeof body !== "object") return null;
  const { username: name, email } = body as { username?: unknown; email?: unknown };
  const id = typeof name === "string" ? name : typeof email === "string" ? email : null;
  return id ? id.trim().toLowerCase().slice(0, 256) : null;
}

/**
 * Failed sign-ins are limited per account and address, per account and per address, in every NODE_ENV; a
 * successful sign-in clears its account-and-address count. Only requests over HTTP are counted (the control
 * plane puts the client address in X-Forwarded-For); calls made by the server itself are not.
 */
function signInLimits(limits: RateLimits) {
  const keysOf = (ctx: { path?: string; body?: unknown; request?: Request }) => {
    if (!ctx.path || !SIGN_IN_PATHS.has(ctx.path) || !ctx.request) return null;
    const account = signInAccount(ctx.body);
    const ip = ctx.request.headers.get("x-forwarded-for") ?? "unknown";
    return account ? { ip, account, accountIp: `${account}|${ip}` } : null;
  };
  return {
    id: "labfleet-sign-in-limits",
    hooks: {
      before: [
        {
          matcher: (ctx: { path?: string }) => !!ctx.path && SIGN_IN_PATHS.has(ctx.path),
          handler: createAuthMiddleware(async (ctx) => {
            const keys = keysOf(ctx);
            if (!keys) return;
            const waits = await Promise.all([
              limits.blockedFor("signInAccountIp", keys.accountIp),
              limits.blockedFor("signInAccount", keys.account),
              limits.blockedFor("signInIp", keys.ip),
            ]);
            const wait = Math.max(...waits.map((w) => w ?? 0));
            if (wait === 0) return;
            // The same answer whether the account exists or not.
            const message = `Too many sign-in attempts. Try again in ${waitText(wait)}.`;
            return new Response(JSON.stringify({ code: "RATE_LIMITED", message }), {
              status: 429,
              headers: { "content-type": "application/json", "retry-after": String(wait), "cache-control": "no-store" },
            });
          }),
        },
      ],
      after: [
        {
          matcher: (ctx: { path?: string }) => !!ctx.path && SIGN_IN_PATHS.has(ctx.path),
          handler: createAuthMiddleware(async (ctx) => {
            const keys = keysOf(ctx);
            if (!keys) return;
            const returned = ctx.context.returned;
            if (returned instanceof Response && returned.status === 429) return;
            if (isAPIError(returned) || (returned instanceof Response && returned.status >= 400)) {
              await Promise.all([
                limits.fail("signInAccountIp", keys.accountIp),
                limits.fail("signInAccount", keys.account),
                limits.fail("signInIp", keys.ip),
              ]);
            } else {
              await limits.reset("signInAccountIp", keys.accountIp);
            }
          }),
        },
      ],
    },
  };
}

/**
 * Instructor and admin accounts, sessions in the database, HttpOnly SameSite=Lax cookies (Secure when the public
 * origin is https). Sign-up is closed: admins create accounts. Students sign in by username (they often have no
 * e-mail).
 */
export function createAuth(options: AuthOptions) {
  const https = options.baseURL.startsWith("https://");
  return betterAuth({
    appName: "LabFleet",
    secret: options.secret,
    baseURL: options.baseURL,
    basePath: "/api/auth",
    trustedOrigins: options.trustedOrigins ?? [],
    database: prismaAdapter(options.prisma, { provider: "postgresql" }),
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 8 },
    session: { expiresIn: 60 * 60 * 24 * 7, updateAge: 60 * 60 * 24 },
    // Sign-in is limited by our own limits above, in every mode and across processes (Redis); the library's
    // limiter (on only in production, in one process's memory) stays for its other endpoints.
    rateLimit: { customRules: { "/sign-in/*": false } },
    advanced: {
      useSecureCookies: https,
      defaultCookieAttributes: { httpOnly: true, sameSite: "lax", secure: https },
    },
    telemetry: { enabled: false },
    plugins: [
      username(),
      admin({ ac, roles, defaultRole: "student", adminRoles: ["admin"] }),
      signInLimits(options.limits ?? sharedRateLimits()),
    ],
  });
}

export type Auth = ReturnType<typeof createAuth>;
