// A small school for the security tests: two classes, each with an instructor and a student, a lab with two
// enrolled and connected devices, an active session with the first class's student checked in, a published
// assignment, a finished and submitted student run, a room-wide run group, a deployment and an alert.
import { inventorySchema } from "@labfleet/protocol";
import { assignmentFields, checkInRow, finishRun } from "../services/classroom/assignment-test-kit.ts";
import { recordInventory } from "../services/device.ts";
import type { TestAgent, TestDevice } from "../services/runs/test-kit.ts";
import { connectTestAgent, createModel, enroll, testInventory } from "../services/runs/test-kit.ts";
import type { TestControlPlane, TestUser } from "../testing/harness.ts";

/** The roles of the matrix: people by how they relate to class A, and a device's credential. */
export const ROLES = [
  "anonymous",
  "otherStudent",
  "student",
  "otherInstructor",
  "instructor",
  "admin",
  "device",
] as const;
export type MatrixRole = (typeof ROLES)[number];

let seq = 0;
/** A name nobody used yet in this process (usernames, labels). */
export function unique(prefix: string): string {
  seq++;
  return `${prefix}${seq}`;
}

export async function buildSchool(cp: TestControlPlane) {
  const admin = await cp.user("admin");
  const instructor = await cp.user("instructor");
  const otherInstructor = await cp.user("instructor");
  const student = await cp.user("student");
  const otherStudent = await cp.user("student");
  const users = { admin, instructor, otherInstructor, student, otherStudent };
  const api = cp.caller(admin);

  const lab = await api.lab.create({ name: "Room 101", rows: 2, cols: 4 });
  const lab2 = await api.lab.create({ name: "Room 102", rows: 1, cols: 2 });
  const model = await createModel(cp, { variants: ["fp32", "int8"] });
  const versionId = model.versions[0]?.id as string;
  const devices: TestDevice[] = [await enroll(cp, "seat-a1", lab.id), await enroll(cp, "seat-a2", lab.id)];
  const agents: TestAgent[] = [];
  for (const d of devices) {
    await recordInventory(cp.db, d.id, inventorySchema.parse(testInventory({ hostname: d.name })));
    agents.push(await connectTestAgent(cp, d));
  }
  const [deviceA, deviceB] = devices as [TestDevice, TestDevice];
  const [agentA] = agents as [TestAgent, TestAgent];
  for (const [i, d] of devices.entries())
    await api.lab.placeDevice({ labId: lab.id, seatLabel: `A${i + 1}`, deviceId: d.id });

  const classA = await cp.db.prisma.class.create({
    data: {
      name: "Edge AI A",
      term: "Spring 2026",
      joinCode: "JOINAAAA",
      leaderboardEnabled: true,
      instructors: { create: [{ userId: instructor.id }] },
      students: { create: [{ userId: student.id }] },
    },
  });
  const classB = await cp.db.prisma.class.create({
    data: {
      name: "Edge AI B",
      term: "Spring 2026",
      joinCode: "JOINBBBB",
      instructors: { create: [{ userId: otherInstructor.id }] },
      students: { create: [{ userId: otherStudent.id }] },
    },
  });
  const now = Date.now();
  const session = await cp.db.prisma.labSession.create({
    data: {
      classId: classA.id,
      labId: lab.id,
      title: "Lab 1",
      startsAt: new Date(now - 60_000),
      endsAt: new Date(now + 3_600_000),
      status: "active",
      startedAt: new Date(now - 60_000),
    },
  });
  await checkInRow(cp, session.id, student.id, deviceA.id);
  const assignment = await cp.caller(instructor).assignment.create({
    classId: classA.id,
    ...assignmentFields(model.versions.map((v) => v.id)),
  });
  await cp.caller(instructor).assignment.publish({ id: assignment.id });
  const studentRun = await cp.caller(student).assignment.startRun({ assignmentId: assignment.id, versionId });
  await finishRun(agentA, deviceA, studentRun.id, { p95: 10, accuracy: 0.9 });
  const submission = await cp.caller(student).assignment.submit({ assignmentId: assignment.id, runId: studentRun.id });
  // The test agents accept runs and never finish them: the group's runs stay open (cancel, progress).
  const group = await api.run.startRoom({ versionId, labId: lab.id, spec: { kind: "benchmark", iterations: 10 } });
  const otherDeviceRun = await cp.db.prisma.run.findFirstOrThrow({
    where: { groupId: group.groupId, deviceId: deviceB.id },
    select: { id: true },
  });
  const deployment = await api.deployment.create({
    versionId: model.versions[1]?.id as string,
    target: { kind: "devices", deviceIds: [deviceB.id] },
  });
  const alert = await cp.db.prisma.alert.create({
    data: { deviceId: deviceA.id, kind: "cpu_temp", state: "firing", message: "Seat A1 is hot.", value: 91 },
  });
  const seatCode = (await api.labSession.seatCodes({ labId: lab.id })).codes.find((c) => c.deviceId === deviceA.id)
    ?.seatCode as string;
  const webhook = await api.webhook.create({ name: "hook", url: "http://127.0.0.1:9/hook" });

  const cookies: Record<MatrixRole, string | null> = {
    anonymous: null,
    device: null,
    admin: await cp.cookieFor(admin),
    instructor: await cp.cookieFor(instructor),
    otherInstructor: await cp.cookieFor(otherInstructor),
    student: await cp.cookieFor(student),
    otherStudent: await cp.cookieFor(otherStudent),
  };

  return {
    users,
    cookies,
    lab,
    lab2,
    model,
    versionId,
    devices: { a: deviceA, b: deviceB },
    agents,
    classA,
    classB,
    session,
    assignment,
    studentRun,
    submission,
    groupId: group.groupId,
    /** An open run of device B (from the room run). */
    otherDeviceRunId: otherDeviceRun.id,
    deployment,
    alert,
    seatCode,
    webhook,
    close() {
      for (const a of agents) a.close();
    },
  };
}

export type School = Awaited<ReturnType<typeof buildSchool>>;

/** The user of a role (null for the anonymous caller and the device). */
export function userOf(school: School, role: MatrixRole): TestUser | null {
  if (role === "anonymous" || role === "device") return null;
  return school.users[role];
}
