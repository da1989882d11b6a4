import type { ErrorCode } from "@labfleet/protocol";
import { z } from "zod";
import { newSecret, sha256Hex } from "../crypto.ts";
import { AppError } from "../errors.ts";
import type { Db } from "./deps.ts";

export const createTokenInput = z.object({
  label: z.string().trim().min(1, "Give the token a label").max(80),
  expiresInHours: z.number().int().min(1).max(720),
  maxUses: z.number().int().min(1).max(1000),
  labId: z.string().min(1).max(64).nullish(),
});
export type CreateTokenInput = z.infer<typeof createTokenInput>;

export type TokenStatus = "active" | "expired" | "revoked" | "used_up";

export interface TokenRow {
  id: string;
  label: string;
  tokenPrefix: string;
  expiresAt: Date;
  maxUses: number;
  uses: number;
  revokedAt: Date | null;
  createdAt: Date;
}

export function tokenStatus(t: Pick<TokenRow, "expiresAt" | "maxUses" | "uses" | "revokedAt">, now = new Date()) {
  if (t.revokedAt) return "revoked" as const;
  if (t.uses >= t.maxUses) return "used_up" as const;
  if (t.expiresAt.getTime() <= now.getTime()) return "expired" as const;
  return "active" as const;
}

const TOKEN_ERRORS: Record<Exclude<TokenStatus, "active">, { code: ErrorCode; message: string }> = {
  expired: { code: "TOKEN_EXPIRED", message: "This enrollment token has expired. Create a new one in the dashboard." },
  revoked: { code: "TOKEN_REVOKED", message: "This enrollment token was revoked. Create a new one in the dashboard." },
  used_up: {
    code: "TOKEN_USED_UP",
    message: "This enrollment token has enrolled as many devices as it allows. Create a new one in the dashboard.",
  },
};

const tokenSelect = {
  id: true,
  label: true,
  tokenPrefix: true,
  expiresAt: true,
  maxUses: true,
  uses: true,
  revokedAt: true,
  createdAt: true,
} as const;

/** Creates a token; the plain token is returned once and only its hash is kept. */
export async function createEnrollmentToken(db: Db, input: CreateTokenInput, createdById: string | null) {
  const token = newSecret("lfe");
  if (input.labId) {
    const lab = await db.prisma.lab.findUnique({ where: { id: input.labId }, select: { id: true } });
    if (!lab) throw new AppError("NOT_FOUND", "That lab does not exist.");
  }
  const row = await db.prisma.enrollmentToken.create({
    data: {
      label: input.label,
      tokenHash: sha256Hex(token),
      tokenPrefix: token.slice(0, 10),
      expiresAt: new Date(Date.now() + input.expiresInHours * 3_600_000),
      maxUses: input.maxUses,
      labId: input.labId ?? null,
      createdById,
    },
    select: tokenSelect,
  });
  return { ...row, token };
}

/** Every token, or only those one person created (an instructor's). */
export async function listEnrollmentTokens(db: Db, createdById: string | null = null) {
  const rows = await db.prisma.enrollmentToken.findMany({
    where: createdById ? { createdById } : {},
    orderBy: { createdAt: "desc" },
    select: tokenSelect,
  });
  const now = new Date();
  return rows.map((r) => ({ ...r, status: tokenStatus(r, now) }));
}

/** Revokes a token; with `createdById`, only one that person created (others are NOT_FOUND). */
export async function revokeEnrollmentToken(db: Db, id: string, createdById: string | null = null) {
  const mine = createdById ? { createdById } : {};
  const updated = await db.prisma.enrollmentToken.updateMany({
    where: { id, revokedAt: null, ...mine },
    data: { revokedAt: new Date() },
  });
  if (updated.count === 0) {
    const exists = await db.prisma.enrollmentToken.findFirst({ where: { id, ...mine }, select: { id: true } });
    if (!exists) throw new AppError("NOT_FOUND", "That enrollment token does not exist.");
  }
}

type Tx = Parameters<Parameters<Db["prisma"]["$transaction"]>[0]>[0];

/**
 * Takes one use of a token inside the caller's transaction. The conditional UPDATE is atomic, so two agents
 * racing for the last use cannot both win. Throws the coded reason when the token cannot be used.
 */
export async function consumeEnrollmentToken(tx: Tx, token: string): Promise<{ id: string; labId: string | null }> {
  const tokenHash = sha256Hex(token);
  const rows = await tx.$queryRaw<{ id: string; labId: string | null }[]>`
    UPDATE enrollment_token SET uses = uses + 1
    WHERE "tokenHash" = ${tokenHash} AND "revokedAt" IS NULL AND "expiresAt" > now() AND uses < "maxUses"
    RETURNING id, "labId"`;
  const row = rows[0];
  if (row) return row;
  const existing = await tx.enrollmentToken.findUnique({ where: { tokenHash } });
  if (!existing) {
    throw new AppError(
      "TOKEN_UNKNOWN",
      "This enrollment token is not known to the server. Check that you copied it whole.",
    );
  }
  const status = tokenStatus(existing);
  const reason = status === "active" ? TOKEN_ERRORS.used_up : TOKEN_ERRORS[status];
  throw new AppError(reason.code, reason.message);
}
