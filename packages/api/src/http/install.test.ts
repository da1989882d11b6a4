import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { INSTALL_PATHS } from "@labfleet/protocol";
import { startTestControlPlane, type TestControlPlane } from "../testing/harness.ts";

// The tarball that `npm run build` packs (apps/agent/build.mjs); these tests serve the real one.
const PACK_DIR = fileURLToPath(new URL("../../../../apps/agent/dist/pack/", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the served installer with sh, in a clean environment (no npm_config_* from an enclosing npm run). */
function sh(script: string, args: string[], home: string, pathFirst: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", [script, ...args], {
      cwd: home,
      // node first on PATH: the installer checks the version of the node it finds.
      env: {
        PATH: [...pathFirst, dirname(process.execPath), process.env.PATH ?? "/usr/bin:/bin"].join(":"),
        HOME: home,
      },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the one-line installer, served by a real control plane", () => {
  let cp: TestControlPlane;
  let home: string;
  before(async () => {
    const built = existsSync(PACK_DIR) && readdirSync(PACK_DIR).some((n) => n.endsWith(".tgz"));
    assert.ok(built, `no agent tarball in ${PACK_DIR}: run npm run build first`);
    cp = await startTestControlPlane({ install: { agentPackDir: PACK_DIR } });
    home = await mkdtemp(join(tmpdir(), "labfleet-install-"));
  });
  after(async () => {
    await cp.close();
    await rm(home, { recursive: true, force: true });
  });

  test("the tarball streams with its sha256 as the ETag, and revalidates with 304", async () => {
    const res = await fetch(`${cp.url}${INSTALL_PATHS.agentTarball}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/gzip");
    const bytes = Buffer.from(await res.arrayBuffer());
    const sha = createHash("sha256").update(bytes).digest("hex");
    assert.equal(res.headers.get("etag"), `"${sha}"`);
    const file = readdirSync(PACK_DIR).find((n) => n.endsWith(".tgz")) ?? "";
    assert.ok(bytes.equals(await readFile(join(PACK_DIR, file))), "the bytes are the built tarball's");

    const again = await fetch(`${cp.url}${INSTALL_PATHS.agentTarball}`, { headers: { "if-none-match": `"${sha}"` } });
    assert.equal(again.status, 304);
    const post = await fetch(`${cp.url}${INSTALL_PATHS.agentTarball}`, { method: "POST" });
    assert.equal(post.status, 400);
    assert.equal(((await post.json()) as { error: { code: string } }).error.code, "BAD_REQUEST");
    const other = await fetch(`${cp.url}/install/../../etc/passwd`);
    assert.equal(other.status, 404);
  });

  test("the script names this server, from the socket and never from the Host header", async () => {
    const res = await fetch(`${cp.url}${INSTALL_PATHS.script}`, { headers: { host: "evil.example" } });
    assert.equal(res.status, 200);
    const script = await res.text();
    assert.match(script, /^#!\/bin\/sh\n/);
    assert.ok(script.includes(`SERVER='${cp.url}'`), "the server URL is filled in");
    assert.ok(!script.includes("evil.example"));
  });

  test("refuses to run without a token, or with one that is not a token", async () => {
    const path = join(home, "agent.sh");
    await writeFile(path, await (await fetch(`${cp.url}${INSTALL_PATHS.script}`)).text());
    const none = await sh(path, [], home);
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /--token is required/);
    const bad = await sh(path, ["--token", "x;touch pwned"], home);
    assert.equal(bad.code, 2, bad.stderr);
    assert.equal(existsSync(join(home, "pwned")), false);
  });

  test("--help names the optional language-model runtime and what it brings", async () => {
    const path = join(home, "agent.sh");
    await writeFile(path, await (await fetch(`${cp.url}${INSTALL_PATHS.script}`)).text());
    const help = await sh(path, ["--help"], home);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--with-llama +Also install node-llama-cpp@3\.21\.1/);
    assert.match(help.stdout, /GPU builds \(CUDA, Vulkan\)/);
    assert.match(help.stdout, /--with-tfjs +Also install TensorFlow\.js/);
  });

  test("with a token: downloads, installs into a prefix with npm, enrolls the device", async () => {
    const admin = await cp.user("admin");
    const { token } = await cp.caller(admin).enrollmentToken.create({ label: "sh", expiresInHours: 1, maxUses: 1 });
    const path = join(home, "agent.sh");
    await writeFile(path, await (await fetch(`${cp.url}${INSTALL_PATHS.script}`)).text());
    const prefix = join(home, "prefix");
    const config = join(home, "etc", "agent.json");
    const args = [
      "--token",
      token,
      "--prefix",
      prefix,
      "--config",
      config,
      "--name",
      "pc-sh-01",
      "--no-service",
      "--with-llama",
      "--with-tfjs",
    ];
    // The runtimes come from the npm registry, which tests must not reach: an `npm` first on PATH records those
    // calls (their arguments and the CUDA-download switch) and hands every other call to the real npm.
    const shim = join(home, "shim");
    await mkdir(shim, { recursive: true });
    const realNpm = execFileSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).trim();
    await writeFile(
      join(shim, "npm"),
      `#!/bin/sh\ncase "$*" in *onnxruntime-node*) echo "$* ONNXRUNTIME_NODE_INSTALL=$ONNXRUNTIME_NODE_INSTALL" > "${join(home, "runtime-call")}"; exit 0 ;; *node-llama-cpp*) echo "$*" > "${join(home, "llama-call")}"; exit 0 ;; *tfjs-backend-wasm*) echo "$*" > "${join(home, "tfjs-call")}"; exit 0 ;; esac\nexec "${realNpm}" "$@"\n`,
      { mode: 0o755 },
    );
    const r = await sh(path, args, home, [shim]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.ok(existsSync(join(prefix, "bin", "labfleet-agent")), "npm put the binary in the prefix");
    assert.match(r.stdout, /Start the agent with: .*labfleet-agent run --config/);
    const runtimeCall = await readFile(join(home, "runtime-call"), "utf8");
    assert.match(
      runtimeCall,
      /^install --global .*--prefix \S+ onnxruntime-node@1\.30\.0 ONNXRUNTIME_NODE_INSTALL=skip$/m,
    );
    // --with-llama: the language-model runtime too, without its build-from-source install script.
    assert.match(
      await readFile(join(home, "llama-call"), "utf8"),
      /^install --global --ignore-scripts .*--prefix \S+ node-llama-cpp@3\.21\.1$/m,
    );
    // --with-tfjs: the face detector's runtime, pinned.
    assert.match(
      await readFile(join(home, "tfjs-call"), "utf8"),
      /^install --global .*--prefix \S+ @tensorflow\/tfjs@4\.22\.0 @tensorflow\/tfjs-backend-wasm@4\.22\.0 @vladmandic\/face-api@1\.7\.15$/m,
    );

    const saved = JSON.parse(await readFile(config, "utf8")) as { deviceId: string; serverUrl: string };
    assert.equal(saved.serverUrl, cp.url);
    const device = await cp.db.prisma.device.findUniqueOrThrow({ where: { id: saved.deviceId } });
    assert.equal(device.name, "pc-sh-01");
  });
});

describe("a configured public URL", () => {
  let cp: TestControlPlane;
  before(async () => {
    cp = await startTestControlPlane({
      install: { agentPackDir: PACK_DIR, publicUrl: "https://labfleet.school.example/" },
    });
  });
  after(async () => {
    await cp.close();
  });

  test("is the server the script installs from and enrolls with", async () => {
    const script = await (await fetch(`${cp.url}${INSTALL_PATHS.script}`)).text();
    assert.ok(script.includes("SERVER='https://labfleet.school.example'"));
    assert.ok(!script.includes(cp.url));
  });

  test("a missing tarball is a coded 404, not a crash", async () => {
    const empty = await startTestControlPlane({ install: { agentPackDir: join(tmpdir(), "labfleet-no-such-dir") } });
    try {
      const res = await fetch(`${empty.url}${INSTALL_PATHS.agentTarball}`);
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "NOT_FOUND");
    } finally {
      await empty.close();
    }
  });
});
