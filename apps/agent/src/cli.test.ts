import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ENROLL_PATH, PROTOCOL_VERSION } from "@labfleet/protocol";
import { closedPort, type HttpStub, startHttpStub } from "./testing/http-stub.ts";
import { runCli } from "./testing/run-cli.ts";

const AGENT_DIR = fileURLToPath(new URL("..", import.meta.url));
const SECRET = "lfd_0123456789abcdef0123456789abcdef";

let home: string;
before(async () => {
  home = await mkdtemp(join(tmpdir(), "labfleet-cli-"));
});
after(async () => {
  await rm(home, { recursive: true, force: true });
});

const cli = (args: string[], env: Record<string, string> = {}) => runCli(home, args, env);

describe("labfleet-agent CLI (spawned)", { concurrency: 4 }, () => {
  const badUsages: string[][] = [
    [],
    ["frobnicate"],
    ["status", "--bogus"],
    ["version", "--token", "abcdefgh12"],
    ["run", "extra"],
    ["enroll", "--token", "abcdefgh12"],
    ["enroll", "--server"],
    ["enroll", "--server", "ftp://x", "--token", "abcdefgh12"],
    ["enroll", "--server", "http://127.0.0.1:1/sub", "--token", "abcdefgh12"],
    ["enroll", "--server", "http://127.0.0.1:1", "--token", "short"],
  ];
  for (const args of badUsages) {
    test(`exit 2: labfleet-agent ${args.join(" ")}`, async () => {
      const r = await cli(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^labfleet-agent: /);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
      assert.equal(r.stdout, "");
    });
  }

  test("exit 2: a bad LABFLEET_LOG_LEVEL", async () => {
    const r = await cli(["version"], { LABFLEET_LOG_LEVEL: "loud" });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /LABFLEET_LOG_LEVEL/);
  });

  test("--help lists the commands and the exit codes", async () => {
    const r = await cli(["--help"]);
    assert.equal(r.code, 0);
    for (const word of ["enroll", "run", "status", "version", "--config", "Exit codes", "7  config file missing"]) {
      assert.ok(r.stdout.includes(word), word);
    }
  });

  test("version --json", async () => {
    const r = await cli(["version", "--json"]);
    assert.equal(r.code, 0);
    const v = JSON.parse(r.stdout) as { agentVersion: string; protocolVersion: number };
    assert.equal(v.protocolVersion, PROTOCOL_VERSION);
    const pkg = JSON.parse(await readFile(join(AGENT_DIR, "package.json"), "utf8")) as { version: string };
    assert.equal(v.agentVersion, pkg.version);
  });

  test("exit 7: status and run with no config, default path under $XDG_CONFIG_HOME", async () => {
    const xdg = join(home, "xdg-empty");
    for (const cmd of ["status", "run"]) {
      const r = await cli([cmd], { XDG_CONFIG_HOME: xdg });
      assert.equal(r.code, 7, r.stderr);
      assert.ok(r.stderr.includes(join(xdg, "labfleet", "agent.json")), r.stderr);
    }
  });

  test("exit 7: a corrupt config, with a clear message and no stack", async () => {
    const path = join(home, "corrupt.json");
    await writeFile(path, "{ not json");
    for (const cmd of ["status", "run"]) {
      const r = await cli([cmd, "--config", path]);
      assert.equal(r.code, 7);
      assert.match(r.stderr, /not valid JSON/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });

  test("exit 4: enroll against a loopback port where nothing listens", async () => {
    const port = await closedPort();
    const r = await cli([
      "enroll",
      "--server",
      `http://127.0.0.1:${port}`,
      "--token",
      "lfe_abcdefgh",
      "--config",
      join(home, "unreachable.json"),
    ]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /connection refused/);
  });
});

describe("enroll against a stub server (spawned)", () => {
  let stub: HttpStub;
  before(async () => {
    stub = await startHttpStub((body) => {
      const token = (body as { token?: string }).token;
      if (token === "lfe_expired_token") {
        return {
          status: 403,
          body: JSON.stringify({ error: { code: "TOKEN_EXPIRED", message: "This enrollment token has expired." } }),
        };
      }
      return { status: 200, body: JSON.stringify({ deviceId: "dev_42", deviceSecret: SECRET, name: "PC 07" }) };
    });
  });
  after(async () => {
    await stub.close();
  });

  test("success: config 0600 in a 0700 directory, device id printed, secret never", async () => {
    const dir = join(home, "enrolled");
    const path = join(dir, "agent.json");
    const r = await cli([
      "enroll",
      "--server",
      `${stub.url}/`,
      "--token",
      "lfe_good_token",
      "--name",
      "PC 07",
      "--config",
      path,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dev_42/);
    assert.ok(r.stdout.includes(path));
    assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET));
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.deepEqual(JSON.parse(await readFile(path, "utf8")), {
      serverUrl: stub.url,
      deviceId: "dev_42",
      deviceSecret: SECRET,
      name: "PC 07",
    });
    const req = stub.requests.at(-1);
    assert.equal(req?.path, ENROLL_PATH);
    assert.deepEqual(req?.body, {
      token: "lfe_good_token",
      hostname: "PC 07",
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: "0.1.0",
    });

    // Enrolling again would orphan dev_42: refused before the token is spent.
    const before = stub.requests.length;
    const again = await cli(["enroll", "--server", stub.url, "--token", "lfe_good_token", "--config", path]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already enrolled as device dev_42.*--force/);
    assert.equal(stub.requests.length, before);

    const status = await cli(["status", "--json", "--config", path]);
    assert.equal(status.code, 0);
    const s = JSON.parse(status.stdout) as { deviceId: string; running: boolean; state: unknown };
    assert.equal(s.deviceId, "dev_42");
    assert.equal(s.running, false);
    assert.equal(s.state, null);
    assert.ok(!status.stdout.includes(SECRET));
  });

  test("exit 3: an expired token, and the message says which refusal", async () => {
    const path = join(home, "expired", "agent.json");
    const r = await cli(["enroll", "--server", stub.url, "--token", "lfe_expired_token", "--config", path]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /expired \(TOKEN_EXPIRED\)/);
    await assert.rejects(stat(path));
  });
});
