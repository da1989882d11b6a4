import { recordAudit } from "../services/audit.ts";
import { middleware } from "./init.ts";

interface AuditOptions {
  /** The id of what was acted on; by default the output's `id`, else the input's `id`. */
  targetId?: (input: unknown, output: unknown) => string | null | undefined;
  /** What to record of the action; by default the input (secrets are dropped either way). */
  detail?: (input: unknown, output: unknown) => Record<string, unknown>;
}

function idOf(value: unknown): string | null {
  if (typeof value === "object" && value !== null && "id" in value && typeof value.id === "string") return value.id;
  return null;
}

/**
 * A procedure middleware that records `action` ("<target type>.<verb>") in the audit log once the procedure
 * succeeded. Put it after the role check: `staffProcedure.use(audited("device.revoke"))`.
 */
export function audited(action: `${string}.${string}`, opts: AuditOptions = {}) {
  const targetType = action.slice(0, action.indexOf("."));
  return middleware(async ({ ctx, next, getRawInput }) => {
    const result = await next();
    if (result.ok && ctx.user) {
      const input = await getRawInput().catch(() => undefined);
      const output = result.data;
      await recordAudit(
        ctx.db,
        { id: ctx.user.id, name: ctx.user.name, role: ctx.user.role },
        {
          action,
          targetType,
          targetId: opts.targetId ? opts.targetId(input, output) : (idOf(output) ?? idOf(input)),
          detail: opts.detail ? opts.detail(input, output) : { input },
        },
      );
    }
    return result;
  });
}
