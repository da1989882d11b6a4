import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { quoteUnitWord, renderUnitFile, UNIT_NAME } from "./unit-file.ts";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const base = {
  nodePath: process.execPath,
  cliPath: CLI,
  configPath: "/etc/labfleet/agent.json",
  agentVersion: "9.9.9",
};

/** Directive → values, in order, as systemd would read the file (comments and sections dropped). */
function directives(unit: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of unit.split("\n")) {
    const m = line.match(/^([A-Za-z]+)=(.*)$/);
    if (!m?.[1]) continue;
    map.set(m[1], [...(map.get(m[1]) ?? []), m[2] ?? ""]);
  }
  return map;
}

describe("renderUnitFile", () => {
  test("runs the agent with the service config, restarts it and hardens it", () => {
    const d = directives(renderUnitFile(base));
    assert.deepEqual(d.get("ExecStart"), [
      `${process.execPath} --no-opt --no-sparkplug ${CLI} run --config /etc/labfleet/agent.json`,
    ]);
    const expected: Record<string, string> = {
      Restart: "always",
      RestartSec: "5s",
      RestartPreventExitStatus: "2 5 6 7",
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ProtectHome: "read-only",
      PrivateTmp: "yes",
      ProtectKernelTunables: "yes",
      ProtectKernelModules: "yes",
      RestrictSUIDSGID: "yes",
      LockPersonality: "yes",
      StateDirectory: "labfleet",
      ConfigurationDirectory: "labfleet",
      ReadWritePaths: "/var/lib/labfleet",
      Environment: "LABFLEET_AGENT_STATE_DIR=/var/lib/labfleet",
      WantedBy: "multi-user.target",
    };
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(d.get(key), [value], key);
    // Telemetry reads /proc, /sys and GPU device nodes; these would hide them (and V8 needs W+X memory).
    for (const banned of ["ProtectProc", "PrivateDevices", "ProtectClock", "DevicePolicy", "MemoryDenyWriteExecute"]) {
      assert.equal(d.has(banned), false, banned);
    }
    assert.equal(d.has("InaccessiblePaths"), false);
  });

  test("quotes paths with spaces and escapes systemd specifiers and variables", () => {
    const d = directives(
      renderUnitFile({ ...base, cliPath: "/opt/lab fleet/cli.js", configPath: "/srv/100%/$HOME/agent.json" }),
    );
    assert.deepEqual(d.get("ExecStart"), [
      `${process.execPath} --no-opt --no-sparkplug "/opt/lab fleet/cli.js" run --config "/srv/100%%/$$HOME/agent.json"`,
    ]);
    // Outside Exec lines $ is literal; % is still a specifier.
    assert.equal(quoteUnitWord("/srv/100%/$HOME", { exec: false }), '"/srv/100%%/$HOME"');
    assert.equal(quoteUnitWord('a"b\\c', { exec: false }), '"a\\"b\\\\c"');
  });

  test("refuses a relative path or a path that would inject a directive", () => {
    assert.throws(() => renderUnitFile({ ...base, configPath: "agent.json" }), { code: "BAD_PATH" });
    assert.throws(() => renderUnitFile({ ...base, cliPath: "/x\nExecStartPre=/bin/rm -rf /" }), { code: "BAD_PATH" });
  });
});

// The real systemd-analyze; .ci/run installs Debian's systemd package when it is missing. No silent skip.
const ANALYZE = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((p) => existsSync(p));

describe("systemd-analyze verify", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "labfleet-unit-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function verify(unit: string, name = UNIT_NAME) {
    assert.ok(ANALYZE, "systemd-analyze is missing: install Debian's systemd package (apt-get install systemd)");
    const path = join(dir, name);
    return writeFile(path, unit).then(() =>
      spawnSync(ANALYZE, ["verify", path], { encoding: "utf8", timeout: 30_000 }),
    );
  }

  test("accepts the generated unit without a warning", async () => {
    const r = await verify(renderUnitFile({ ...base, configPath: join(dir, "with space", "agent.json") }));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), "", "no unknown key or bad value");
  });

  test("is a real check: it rejects a broken unit", async () => {
    const broken = renderUnitFile(base).replace(/^ExecStart=\S+/m, "ExecStart=node-without-a-path");
    const r = await verify(broken, "labfleet-broken.service");
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /not executable/);
  });
});
