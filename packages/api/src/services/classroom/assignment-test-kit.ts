// A classroom for the assignment tests: real rows, real accounts, real enrolled devices and agent sockets.
// Classes, sessions and check-ins are written as rows here so that these tests depend only on the schema.
import assert from "node:assert/strict";
import type { RunResult } from "@labfleet/protocol";
import type { TestControlPlane, TestUser } from "../../testing/harness.ts";
import {
  connectTestAgent,
  createModel,
  enroll,
  reportFinished,
  runResult,
  sign,
  type TestAgent,
  type TestDevice,
} from "../runs/test-kit.ts";

export { rejectsWith } from "../../testing/trpc-assert.ts";

let classSeq = 0;

export async function createClassRows(
  cp: TestControlPlane,
  o: { instructors: TestUser[]; students: TestUser[]; leaderboardEnabled?: boolean },
) {
  classSeq++;
  return cp.db.prisma.class.create({
    data: {
      name: `Edge AI ${classSeq}`,
      term: "Spring 2026",
      joinCode: `JOIN${classSeq}${Date.now().toString(36).toUpperCase()}`,
      leaderboardEnabled: o.leaderboardEnabled ?? false,
      instructors: { create: o.instructors.map((u) => ({ userId: u.id })) },
      students: { create: o.students.map((u) => ({ userId: u.id })) },
    },
  });
}

/** An active session of the class in the lab, started a minute ago. */
export async function startSessionRow(cp: TestControlPlane, classId: string, labId: string) {
  const now = Date.now();
  return cp.db.prisma.labSession.create({
    data: {
      classId,
      labId,
      title: "Lab 1",
      startsAt: new Date(now - 60_000),
      endsAt: new Date(now + 3_600_000),
      status: "active",
      startedAt: new Date(now - 60_000),
    },
  });
}

export function checkInRow(cp: TestControlPlane, sessionId: string, studentId: string, deviceId: string) {
  return cp.db.prisma.sessionCheckIn.create({ data: { sessionId, studentId, deviceId } });
}

export interface Room {
  labId: string;
  versionIds: string[];
  otherVersionId: string;
  devices: TestDevice[];
  agents: TestAgent[];
}

/** A lab with `seats` enrolled, connected devices and a model with two variants (plus one unrelated version). */
export async function createRoom(cp: TestControlPlane, staff: TestUser, seats: number): Promise<Room> {
  const lab = await cp.caller(staff).lab.create({ name: `Room ${++classSeq}`, rows: 2, cols: 4 });
  const model = await createModel(cp, { variants: ["fp32", "int8"] });
  const other = await createModel(cp);
  const devices: TestDevice[] = [];
  const agents: TestAgent[] = [];
  for (let i = 0; i < seats; i++) {
    const d = await enroll(cp, `pc-${classSeq}-${i + 1}`, lab.id);
    devices.push(d);
    agents.push(await connectTestAgent(cp, d));
  }
  return {
    labId: lab.id,
    versionIds: model.versions.map((v) => v.id),
    otherVersionId: other.versions[0]?.id as string,
    devices,
    agents,
  };
}

/** Finishes a run through the real ingest path: the agent reports a result signed with `secret`. */
export async function finishRun(
  agent: TestAgent,
  device: TestDevice,
  runId: string,
  o: { p95?: number; accuracy?: number | null; energyJ?: number | null; secret?: string } = {},
): Promise<void> {
  const base = runResult(runId, device.id, {
    p95: o.p95 ?? 10,
    ...(o.accuracy !== undefined ? { accuracy: o.accuracy } : {}),
  });
  const result: RunResult = { ...base, system: { ...base.system, energyJPerInference: o.energyJ ?? null } };
  const ack = await reportFinished(agent, sign(result, o.secret ?? device.secret));
  assert.deepEqual(ack, { ok: true, data: { stored: 1 } });
}

export function assignmentFields(versionIds: string[]) {
  return {
    title: "Make it fast",
    instructions: "# Task\n\nRun the **int8** variant and compare.\n\n<script>alert(1)</script>",
    kind: "benchmark" as const,
    versionIds,
    baseSpec: { kind: "benchmark" as const, iterations: 50, threads: 2, batchSize: 1 },
    bounds: { threads: { min: 1, max: 4 }, batchSize: { min: 1, max: 8 } },
    targets: { p95MsMax: 20, accuracyMin: 0.8 },
    dueAt: new Date(Date.now() + 7 * 24 * 3_600_000),
    latePolicy: { kind: "accept" as const },
  };
}
