// What a session page shows. The class's teachers see the whole room (who sits where, their progress, the help
// queue, what the room preparation deployed); a student sees only their own seat and their own hand.
import { z } from "zod";
import { checkFit } from "../deployments/fit.ts";
import { ACTIVE_STATUSES } from "../deployments/schemas.ts";
import type { Db } from "../deps.ts";
import { type Actor, requireSession } from "./access.ts";
import { helpQueue, helpRequestSchema } from "./help.ts";
import { assignmentVersions } from "./preparation.ts";
import { sessionSummarySchema, summaryOf } from "./sessions.ts";

const progressSchema = z.object({
  runId: z.string(),
  status: z.string(),
  /** 0–100 while running when the run counts its work; null otherwise. */
  percent: z.number().nullable(),
});

export const checkInViewSchema = z.object({
  studentId: z.string(),
  studentName: z.string(),
  username: z.string().nullable(),
  deviceId: z.string(),
  deviceName: z.string(),
  seatLabel: z.string().nullable(),
  checkedInAt: z.date(),
  /** The student's latest run in this session. */
  progress: progressSchema.nullable(),
});

const myCheckInSchema = z.object({
  deviceId: z.string(),
  deviceName: z.string(),
  seatLabel: z.string().nullable(),
  seatCode: z.string().nullable(),
  checkedInAt: z.date(),
});

const preparationSchema = z.object({
  versions: z.array(
    z.object({
      versionId: z.string(),
      label: z.string(),
      /** Devices of the lab. */
      devices: z.number().int(),
      /** Devices that hold the version or are getting it. */
      deployed: z.number().int(),
      ready: z.number().int(),
      /** Devices that lack it and cannot hold or run it. */
      misfits: z.array(z.object({ deviceId: z.string(), deviceName: z.string(), reason: z.string() })),
    }),
  ),
});

export const sessionViewSchema = z.discriminatedUnion("viewer", [
  sessionSummarySchema.extend({
    viewer: z.literal("teacher"),
    checkIns: z.array(checkInViewSchema),
    helpQueue: z.array(helpRequestSchema),
    preparation: preparationSchema,
  }),
  sessionSummarySchema.extend({
    viewer: z.literal("student"),
    myCheckIn: myCheckInSchema.nullable(),
    myHand: helpRequestSchema.nullable(),
  }),
]);
export type SessionView = z.infer<typeof sessionViewSchema>;

function percentOf(progress: unknown): number | null {
  const p = z.object({ done: z.number(), total: z.number().nullable() }).safeParse(progress);
  if (!p.success || !p.data.total) return null;
  return Math.min(100, Math.round((p.data.done / p.data.total) * 100));
}

async function preparationOf(db: Db, labId: string, assignmentId: string | null) {
  if (!assignmentId) return { versions: [] };
  const devices = await db.prisma.device.findMany({
    where: { labId, revokedAt: null },
    select: { id: true, name: true },
  });
  const ids = devices.map((d) => d.id);
  const versions = await assignmentVersions(db, assignmentId);
  const out = [];
  // Every variant the assignment allows is prepared on each seat, side by side.
  for (const { versionId, label } of versions) {
    const rows = await db.prisma.deploymentDevice.findMany({
      where: {
        deviceId: { in: ids },
        state: { not: "removed" },
        deployment: { versionId, status: { in: ACTIVE_STATUSES } },
      },
      select: { deviceId: true, state: true },
    });
    const have = new Set(rows.map((r) => r.deviceId));
    const ready = new Set(rows.filter((r) => r.state === "ready").map((r) => r.deviceId));
    const lacking = ids.filter((d) => !have.has(d));
    const fit =
      lacking.length > 0
        ? await checkFit(db, { versionId, target: { kind: "devices", deviceIds: lacking } })
        : { misfits: [] };
    out.push({
      versionId,
      label,
      devices: ids.length,
      deployed: have.size,
      ready: ready.size,
      misfits: fit.misfits.map((m) => ({ deviceId: m.deviceId, deviceName: m.name, reason: m.reason })),
    });
  }
  return { versions: out };
}

export async function getSessionView(db: Db, actor: Actor, sessionId: string): Promise<SessionView> {
  const session = await requireSession(db, actor, sessionId, "view");
  const summary = await summaryOf(db, sessionId);
  const queue = await helpQueue(db, sessionId);

  if (actor.role === "student") {
    const mine = await db.prisma.sessionCheckIn.findUnique({
      where: { sessionId_studentId: { sessionId, studentId: actor.id } },
      select: {
        checkedInAt: true,
        checkedOutAt: true,
        device: { select: { id: true, name: true, seatCode: true, seat: { select: { label: true } } } },
      },
    });
    return {
      ...summary,
      viewer: "student",
      myCheckIn:
        mine && !mine.checkedOutAt
          ? {
              deviceId: mine.device.id,
              deviceName: mine.device.name,
              seatLabel: mine.device.seat?.label ?? null,
              seatCode: mine.device.seatCode,
              checkedInAt: mine.checkedInAt,
            }
          : null,
      myHand: queue.find((h) => h.studentId === actor.id) ?? null,
    };
  }

  const checkIns = await db.prisma.sessionCheckIn.findMany({
    where: { sessionId, checkedOutAt: null },
    orderBy: { checkedInAt: "asc" },
    select: {
      studentId: true,
      checkedInAt: true,
      student: { select: { name: true, username: true } },
      device: { select: { id: true, name: true, seat: { select: { label: true } } } },
    },
  });
  const runs = await db.prisma.run.findMany({
    where: { sessionId, studentId: { in: checkIns.map((c) => c.studentId) } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    distinct: ["studentId"],
    select: { id: true, studentId: true, status: true, progress: true },
  });
  const latest = new Map(runs.map((r) => [r.studentId, r]));
  return {
    ...summary,
    viewer: "teacher",
    checkIns: checkIns.map((c) => {
      const run = latest.get(c.studentId);
      return {
        studentId: c.studentId,
        studentName: c.student.name,
        username: c.student.username,
        deviceId: c.device.id,
        deviceName: c.device.name,
        seatLabel: c.device.seat?.label ?? null,
        checkedInAt: c.checkedInAt,
        progress: run
          ? { runId: run.id, status: run.status, percent: run.status === "running" ? percentOf(run.progress) : null }
          : null,
      };
    }),
    helpQueue: queue,
    preparation: await preparationOf(db, session.labId, session.assignmentId),
  };
}
