import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { TRPCError } from "@trpc/server";
import { startTestControlPlane, type TestControlPlane } from "../../testing/harness.ts";
import { syncCatalog } from "./catalog-sync.ts";
import { vadEntry } from "./model-testkit.ts";

function code(e: unknown): string | undefined {
  return e instanceof TRPCError ? e.code : undefined;
}

describe("model router", () => {
  let cp: TestControlPlane;
  let dir: string;
  let evalPath: string;

  before(async () => {
    cp = await startTestControlPlane();
    dir = await mkdtemp(path.join(tmpdir(), "labfleet-model-"));
    evalPath = path.join(dir, "eval.json");
    await writeFile(evalPath, "{}");
  });
  after(async () => {
    await cp.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("list, get and update are for staff only; update validates its input", async () => {
    await syncCatalog(cp.db, cp.plane.blobs, [vadEntry(evalPath)], cp.db.log);
    const staff = cp.caller(await cp.user("instructor"));
    const [vad] = await staff.model.list();
    assert.ok(vad);
    assert.equal(vad.versions.length, 2);
    assert.ok(vad.versions.every((v) => typeof v.minMemoryBytes === "number" && v.totalBytes > 0));
    assert.deepEqual(await staff.model.get({ id: vad.id }), vad);

    const updated = await staff.model.update({ id: vad.id, name: "  Silero VAD v5 ", description: "16 kHz speech" });
    assert.equal(updated.name, "Silero VAD v5");
    assert.equal(updated.description, "16 kHz speech");
    assert.equal(code(await staff.model.update({ id: vad.id, name: "" }).catch((e) => e)), "BAD_REQUEST");
    assert.equal(code(await staff.model.get({ id: "missing" }).catch((e) => e)), "NOT_FOUND");

    const student = cp.caller(await cp.user("student"));
    assert.equal(code(await student.model.list().catch((e) => e)), "FORBIDDEN");
    assert.equal(
      code(
        await cp
          .caller(null)
          .model.list()
          .catch((e) => e),
      ),
      "UNAUTHORIZED",
    );
  });

  test("remove is refused while a deployment is live, then deletes rows and only unshared blobs", async () => {
    const staff = cp.caller(await cp.user("admin"));
    // A second model that shares the eval file with the first: that blob must survive the removal.
    const other = { ...vadEntry(evalPath), slug: "vad-copy" };
    other.variants = other.variants.filter((v) => v.variant === "fp16");
    await syncCatalog(cp.db, cp.plane.blobs, [other], cp.db.log);
    const models = await staff.model.list();
    const vad = models.find((m) => m.slug === "silero-vad");
    const copy = models.find((m) => m.slug === "vad-copy");
    assert.ok(vad && copy);
    const version = vad.versions[0];
    assert.ok(version);

    const deployment = await cp.db.prisma.deployment.create({
      data: {
        versionId: version.id,
        target: { kind: "tag", tag: "room-1" },
        strategy: { waves: 1, gate: null },
        status: "complete",
      },
    });
    const refused = await staff.model.remove({ id: vad.id }).catch((e) => e);
    assert.equal(code(refused), "CONFLICT");
    assert.match(refused.message, /deployed/);
    assert.equal(await cp.db.prisma.model.count({ where: { id: vad.id } }), 1);

    await cp.db.prisma.deployment.update({ where: { id: deployment.id }, data: { status: "rolled_back" } });
    const blobsBefore = (await readdir(cp.plane.blobs.blobsDir)).length;
    // fp32 ONNX is only in silero-vad; fp16 ONNX and eval.json are shared with vad-copy.
    const removed = await staff.model.remove({ id: vad.id });
    assert.deepEqual(removed, { id: vad.id, blobsDeleted: 1 });
    assert.equal(await cp.db.prisma.model.count({ where: { id: vad.id } }), 0);
    assert.equal(await cp.db.prisma.deployment.count({ where: { id: deployment.id } }), 0);
    assert.equal((await readdir(cp.plane.blobs.blobsDir)).length, blobsBefore - 1);
    const fp32 = vad.versions.find((v) => v.variant === "fp32")?.files.find((f) => f.role === "model");
    assert.ok(fp32);
    assert.equal(await cp.plane.blobs.sizeOf(fp32.sha256), null);
    assert.equal(await cp.db.prisma.blob.count({ where: { sha256: fp32.sha256 } }), 0);
    for (const f of copy.versions[0]?.files ?? []) assert.notEqual(await cp.plane.blobs.sizeOf(f.sha256), null);

    assert.equal(code(await staff.model.remove({ id: vad.id }).catch((e) => e)), "NOT_FOUND");
  });
});
