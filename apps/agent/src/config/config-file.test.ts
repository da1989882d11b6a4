import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { AgentError } from "../errors.ts";
import { EXIT } from "../exit-codes.ts";
import { readConfigFile, writeConfigFile } from "./config-file.ts";
import { resolveConfigPath, SYSTEM_CONFIG_PATH, stateFilePath } from "./paths.ts";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "labfleet-config-"));
  dirs.push(d);
  return d;
}

const CONFIG = {
  serverUrl: "http://127.0.0.1:3000",
  deviceId: "dev_123",
  deviceSecret: "lfd_secret_0123456789abcdef0123456789",
  name: "PC-07",
};

const isPosix = process.platform !== "win32";

describe("writeConfigFile", () => {
  test("creates the directory 0700 and the file 0600, and leaves no temp file", { skip: !isPosix }, async () => {
    const base = await tempDir();
    const path = join(base, "nested", "labfleet", "agent.json");
    const oldUmask = process.umask(0o022);
    try {
      await writeConfigFile(path, CONFIG);
    } finally {
      process.umask(oldUmask);
    }
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(base, "nested", "labfleet"))).mode & 0o777, 0o700);
    assert.deepEqual(await readdir(join(base, "nested", "labfleet")), ["agent.json"]);
    assert.deepEqual(await readConfigFile(path), CONFIG);
  });

  test("replacing a file that was too open makes it 0600", { skip: !isPosix }, async () => {
    const path = join(await tempDir(), "agent.json");
    await writeFile(path, "{}", { mode: 0o644 });
    await chmod(path, 0o644);
    await writeConfigFile(path, CONFIG);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  test("refuses to write an invalid config", async () => {
    const path = join(await tempDir(), "agent.json");
    await assert.rejects(writeConfigFile(path, { ...CONFIG, serverUrl: "ftp://x" }));
    await assert.rejects(stat(path));
  });
});

describe("readConfigFile", () => {
  async function codeOf(promise: Promise<unknown>): Promise<[string, number]> {
    try {
      await promise;
    } catch (e) {
      assert.ok(e instanceof AgentError, `expected an AgentError, got ${String(e)}`);
      return [e.code, e.exitCode];
    }
    assert.fail("expected a rejection");
  }

  test("missing -> CONFIG_MISSING, exit 7, with the fix in the message", async () => {
    const path = join(await tempDir(), "agent.json");
    assert.deepEqual(await codeOf(readConfigFile(path)), ["CONFIG_MISSING", EXIT.CONFIG_INVALID]);
    await assert.rejects(readConfigFile(path), /labfleet-agent enroll/);
  });

  test("not JSON -> CONFIG_CORRUPT, exit 7", async () => {
    const path = join(await tempDir(), "agent.json");
    await writeFile(path, '{"serverUrl": "http://x", "deviceId": ');
    assert.deepEqual(await codeOf(readConfigFile(path)), ["CONFIG_CORRUPT", EXIT.CONFIG_INVALID]);
  });

  test("JSON of the wrong shape -> CONFIG_CORRUPT naming the bad fields, exit 7", async () => {
    const path = join(await tempDir(), "agent.json");
    await writeFile(path, JSON.stringify({ ...CONFIG, deviceSecret: "", serverUrl: "not a url" }));
    assert.deepEqual(await codeOf(readConfigFile(path)), ["CONFIG_CORRUPT", EXIT.CONFIG_INVALID]);
    await assert.rejects(
      readConfigFile(path),
      (e: Error) => /serverUrl/.test(e.message) && /deviceSecret/.test(e.message),
    );
  });

  test("modelCacheMaxBytes is optional, and bounded (64 MiB to 4 TiB)", async () => {
    const path = join(await tempDir(), "agent.json");
    await writeFile(path, JSON.stringify({ ...CONFIG, modelCacheMaxBytes: 20 * 1024 ** 3 }));
    assert.equal((await readConfigFile(path)).modelCacheMaxBytes, 20 * 1024 ** 3);
    for (const bad of [1024, 5 * 1024 ** 4, 1.5e9 + 0.5, "10GB"]) {
      await writeFile(path, JSON.stringify({ ...CONFIG, modelCacheMaxBytes: bad }));
      await assert.rejects(readConfigFile(path), (e: Error) => /modelCacheMaxBytes/.test(e.message));
    }
  });

  test("the secret never appears in an error message", async () => {
    const path = join(await tempDir(), "agent.json");
    await writeFile(path, JSON.stringify({ ...CONFIG, serverUrl: "nope" }));
    await assert.rejects(readConfigFile(path), (e: Error) => !e.message.includes(CONFIG.deviceSecret));
  });

  test("a directory -> exit 7", async () => {
    const dir = await tempDir();
    assert.deepEqual(await codeOf(readConfigFile(dir)), ["CONFIG_UNREADABLE", EXIT.CONFIG_INVALID]);
  });

  test("written content is pretty JSON ending with a newline", async () => {
    const path = join(await tempDir(), "agent.json");
    await writeConfigFile(path, CONFIG);
    assert.match(await readFile(path, "utf8"), /^\{\n {2}"serverUrl".*\n\}\n$/s);
  });
});

describe("resolveConfigPath", () => {
  const base = { env: {}, isRoot: false, home: "/home/ana", exists: () => false };

  test("--config wins over everything", () => {
    assert.equal(
      resolveConfigPath("/x.json", {
        ...base,
        env: { LABFLEET_AGENT_CONFIG: "/y.json" },
        isRoot: true,
        exists: () => true,
      }),
      "/x.json",
    );
  });
  test("then $LABFLEET_AGENT_CONFIG", () => {
    assert.equal(resolveConfigPath(undefined, { ...base, env: { LABFLEET_AGENT_CONFIG: "/y.json" } }), "/y.json");
  });
  test("root with an existing system file uses it", () => {
    assert.equal(
      resolveConfigPath(undefined, { ...base, isRoot: true, exists: (p) => p === SYSTEM_CONFIG_PATH }),
      SYSTEM_CONFIG_PATH,
    );
  });
  test("root without it, and users, use the XDG directory", () => {
    assert.equal(resolveConfigPath(undefined, { ...base, isRoot: true }), "/home/ana/.config/labfleet/agent.json");
    assert.equal(
      resolveConfigPath(undefined, { ...base, exists: () => true }),
      "/home/ana/.config/labfleet/agent.json",
    );
    assert.equal(
      resolveConfigPath(undefined, { ...base, env: { XDG_CONFIG_HOME: "/xdg" } }),
      "/xdg/labfleet/agent.json",
    );
  });
  test("the state file sits beside the config", () => {
    assert.equal(stateFilePath("/etc/labfleet/agent.json"), "/etc/labfleet/agent-state.json");
  });
});
