// Helpers for the session tests: real rows for a class, a lab with placed devices, and an assignment.
import type { TestControlPlane, TestUser } from "../../testing/harness.ts";
import { placeDevice } from "../seat.ts";

export { rejectsWith } from "../../testing/trpc-assert.ts";

let seq = 0;

export async function createClass(cp: TestControlPlane, instructors: TestUser[], students: TestUser[]) {
  seq++;
  return cp.db.prisma.class.create({
    data: {
      name: `Class ${seq}`,
      term: "2026 autumn",
      joinCode: `JOIN${seq}X${Date.now().toString(36).toUpperCase()}`,
      instructors: { create: instructors.map((u) => ({ userId: u.id })) },
      students: { create: students.map((u) => ({ userId: u.id })) },
    },
    select: { id: true, name: true },
  });
}

/** A lab of one row with a device on each seat (created as rows, or the given enrolled device ids). */
export async function createLab(cp: TestControlPlane, staff: TestUser, deviceIds: string[] | number) {
  seq++;
  const ids =
    typeof deviceIds === "number"
      ? await Promise.all(
          Array.from({ length: deviceIds }, (_, i) =>
            cp.db.prisma.device
              .create({
                data: { name: `lab${seq}-pc${i + 1}`, hostname: `lab${seq}-pc${i + 1}` },
                select: { id: true },
              })
              .then((d) => d.id),
          ),
        )
      : deviceIds;
  const lab = await cp.caller(staff).lab.create({ name: `Lab ${seq}`, rows: 1, cols: Math.max(1, ids.length) });
  for (const [i, deviceId] of ids.entries()) {
    await placeDevice(cp.db, { labId: lab.id, seatLabel: `A${i + 1}`, deviceId });
  }
  return { id: lab.id, name: lab.name, deviceIds: ids };
}

export async function createAssignment(cp: TestControlPlane, classId: string, versionIds: string[]) {
  return cp.db.prisma.assignment.create({
    data: {
      classId,
      title: "Latency lab",
      instructions: "Measure it.",
      kind: "benchmark",
      baseSpec: {},
      bounds: {},
      targets: {},
      dueAt: new Date(Date.now() + 7 * 86_400_000),
      latePolicy: { kind: "accept" },
      publishedAt: new Date(),
      versions: { create: versionIds.map((versionId, position) => ({ versionId, position })) },
    },
    select: { id: true },
  });
}

export const HOUR = 3_600_000;

/** A session window around now. */
export function window(offsetMs = -60_000, lengthMs = HOUR) {
  const startsAt = new Date(Date.now() + offsetMs);
  return { startsAt, endsAt: new Date(startsAt.getTime() + lengthMs) };
}
