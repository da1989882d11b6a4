import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { readConfigFile, writeConfigFile } from "./config-file.ts";
import { ConfigFileCredential } from "./credential.ts";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "labfleet-credential-"));
  dirs.push(d);
  return d;
}

const CONFIG = {
  serverUrl: "http://127.0.0.1:3000",
  deviceId: "dev_123",
  deviceSecret: "lfd_old_secret_0123456789abcdef0123456789",
  name: "PC-07",
};
const NEW_SECRET = "lfd_new_secret_abcdefghijklmnopqrstuvwxyz012345";

describe("ConfigFileCredential", () => {
  test("a rotated secret is on disk (0600, no temp file left) before the agent uses it", async () => {
    const dir = await tempDir();
    const path = join(dir, "agent.json");
    await writeConfigFile(path, CONFIG);
    await chmod(path, 0o644);
    const cred = new ConfigFileCredential(path, await readConfigFile(path));
    assert.equal(cred.secret, CONFIG.deviceSecret);

    await cred.replaceSecret(NEW_SECRET);
    assert.equal(cred.secret, NEW_SECRET);
    assert.equal((await readConfigFile(path)).deviceSecret, NEW_SECRET);
    if (process.platform !== "win32") assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), ["agent.json"]);
  });

  test("settings edited in the file since start survive a rotation; the device id does not change", async () => {
    const dir = await tempDir();
    const path = join(dir, "agent.json");
    await writeConfigFile(path, CONFIG);
    const cred = new ConfigFileCredential(path, await readConfigFile(path));
    const edited = { ...CONFIG, deviceId: "someone-else", bufferMaxBytes: 8 * 1024 * 1024 };
    await writeFile(path, JSON.stringify(edited));

    await cred.replaceSecret(NEW_SECRET);
    const onDisk = JSON.parse(await readFile(path, "utf8"));
    assert.deepEqual(onDisk, { ...CONFIG, deviceSecret: NEW_SECRET, bufferMaxBytes: 8 * 1024 * 1024 });
  });

  test("a write that fails keeps the old secret in memory and on disk", async () => {
    const dir = await tempDir();
    const path = join(dir, "agent.json");
    await writeConfigFile(path, CONFIG);
    const cred = new ConfigFileCredential(path, await readConfigFile(path));
    // The file replaced by a non-empty directory: the rename cannot go over it (as a read-only disk would refuse).
    await rm(path);
    await mkdir(join(path, "blocker"), { recursive: true });

    await assert.rejects(cred.replaceSecret(NEW_SECRET));
    assert.equal(cred.secret, CONFIG.deviceSecret);
    assert.deepEqual((await readdir(dir)).sort(), ["agent.json"], "no temp file left behind");
  });
});
