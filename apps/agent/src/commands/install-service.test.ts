import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { EXIT } from "../exit-codes.ts";
import { UNIT_NAME } from "../service/unit-file.ts";
import { runCli } from "../testing/run-cli.ts";
import { installServiceCommand, type ServiceHost } from "./install-service.ts";
import { uninstallServiceCommand } from "./uninstall-service.ts";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const CONFIG = {
  serverUrl: "http://127.0.0.1:9",
  deviceId: "dev_install_test",
  deviceSecret: "lfd_0123456789abcdef0123456789abcdef",
  name: "pc-01",
};

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "labfleet-service-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(dir, args);

async function enrolledConfig(name: string): Promise<string> {
  const path = join(dir, name, "agent.json");
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(path, JSON.stringify(CONFIG), { mode: 0o644 });
  return path;
}

describe("install-service and uninstall-service (the real CLI, into temp folders)", () => {
  test("writes the unit and a 0600 copy of the config, then removes them with --purge", async () => {
    const source = await enrolledConfig("user");
    const units = join(dir, "units");
    const serviceConfig = join(dir, "etc", "labfleet", "agent.json");
    const args = ["--config", source, "--service-config", serviceConfig, "--unit-dir", units];
    const install = await cli(["install-service", ...args, "--no-enable"]);
    assert.equal(install.code, EXIT.OK, install.stderr);
    assert.match(install.stdout, /Not enabled \(--no-enable\)/);
    assert.match(install.stdout, /systemctl daemon-reload && systemctl enable --now labfleet-agent\.service/);

    const unit = await readFile(join(units, UNIT_NAME), "utf8");
    assert.match(
      unit,
      new RegExp(`^ExecStart=\\S+ --no-opt --no-sparkplug ${CLI} run --config ${serviceConfig}$`, "m"),
    );
    assert.equal((await stat(join(units, UNIT_NAME))).mode & 0o777, 0o644);
    assert.equal((await stat(serviceConfig)).mode & 0o777, 0o600, "the copy holds the device secret");
    assert.deepEqual(JSON.parse(await readFile(serviceConfig, "utf8")), CONFIG);

    // The service's state file sits beside its config; purge takes both.
    await writeFile(join(dir, "etc", "labfleet", "agent-state.json"), "{}");
    const dry = await cli([
      "uninstall-service",
      "--service-config",
      serviceConfig,
      "--unit-dir",
      units,
      "--purge",
      "--dry-run",
    ]);
    assert.equal(dry.code, EXIT.OK, dry.stderr);
    assert.ok(existsSync(join(units, UNIT_NAME)), "--dry-run removes nothing");

    const purge = await cli(["uninstall-service", "--service-config", serviceConfig, "--unit-dir", units, "--purge"]);
    assert.equal(purge.code, EXIT.OK, purge.stderr);
    assert.equal(existsSync(join(units, UNIT_NAME)), false);
    assert.equal(existsSync(serviceConfig), false);
    assert.equal(existsSync(join(dir, "etc", "labfleet")), false, "the emptied config folder goes too");
    assert.ok(existsSync(source), "the user's own config is not the service's to delete");
  });

  test("--dry-run prints the unit and writes nothing", async () => {
    const source = await enrolledConfig("dry");
    const units = join(dir, "dry-units");
    const r = await cli(["install-service", "--config", source, "--unit-dir", units, "--dry-run"]);
    assert.equal(r.code, EXIT.OK, r.stderr);
    assert.match(r.stdout, /^ExecStart=.* run --config \/etc\/labfleet\/agent\.json$/m);
    assert.match(r.stdout, /Would copy .* to \/etc\/labfleet\/agent\.json/);
    assert.equal(existsSync(units), false);
  });

  test("refuses without an enrolled config, before writing anything", async () => {
    const units = join(dir, "none-units");
    const r = await cli([
      "install-service",
      "--config",
      join(dir, "missing.json"),
      "--service-config",
      join(dir, "x", "agent.json"),
      "--unit-dir",
      units,
      "--no-enable",
    ]);
    assert.equal(r.code, EXIT.CONFIG_INVALID);
    assert.match(r.stderr, /enroll/i);
    assert.equal(existsSync(units), false);
  });

  test("a bad flag is a usage error", async () => {
    const r = await cli(["install-service", "--unit-dir"]);
    assert.equal(r.code, EXIT.USAGE);
  });
});

describe("install-service on another host", () => {
  const lines: string[] = [];
  const out = (l: string) => void lines.push(l);
  const noSystemctl = async () => assert.fail("systemctl must not run here");

  test("not root: a clear message and exit 2 before touching /etc", async () => {
    const host: ServiceHost = { root: false, systemdRunning: true, initName: "systemd", systemctl: noSystemctl };
    const source = await enrolledConfig("nonroot");
    await assert.rejects(
      installServiceCommand({
        configPath: source,
        serviceConfigPath: "/etc/labfleet/agent.json",
        unitDir: "/etc/systemd/system",
        enable: true,
        dryRun: false,
        nodePath: process.execPath,
        cliPath: CLI,
        host,
        out,
      }),
      (e: { code: string; exitCode: number; message: string }) =>
        e.code === "NEEDS_ROOT" && e.exitCode === EXIT.USAGE && /as root/.test(e.message),
    );
    await assert.rejects(
      uninstallServiceCommand({
        serviceConfigPath: "/etc/labfleet/agent.json",
        unitDir: "/etc/systemd/system",
        purge: true,
        dryRun: false,
        host,
        out,
      }),
      { code: "NEEDS_ROOT" },
    );
  });

  test("systemd not PID 1: installs, says so, prints the command for later, exit 0", async () => {
    lines.length = 0;
    const host: ServiceHost = { root: true, systemdRunning: false, initName: "dumb-init", systemctl: noSystemctl };
    const source = await enrolledConfig("nosystemd");
    const code = await installServiceCommand({
      configPath: source,
      serviceConfigPath: join(dir, "nosystemd-etc", "agent.json"),
      unitDir: join(dir, "nosystemd-units"),
      enable: true,
      dryRun: false,
      nodePath: process.execPath,
      cliPath: CLI,
      host,
      out,
    });
    assert.equal(code, EXIT.OK);
    assert.match(lines.join("\n"), /systemd is not running on this machine \(PID 1 is dumb-init\)/);
    assert.match(lines.join("\n"), /systemctl enable --now labfleet-agent\.service/);
    assert.ok(existsSync(join(dir, "nosystemd-units", UNIT_NAME)));
  });
});
