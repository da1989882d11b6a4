import { z } from "zod";
import { auditEntrySchema, listAudit, listAuditInput } from "../services/audit.ts";
import { adminProcedure, router } from "../trpc/init.ts";

/** The audit log, newest first: admins only. */
export const auditRouter = router({
  list: adminProcedure
    .input(listAuditInput.default({ limit: 100 }))
    .output(z.array(auditEntrySchema))
    .query(({ ctx, input }) => listAudit(ctx.db, input)),
});
