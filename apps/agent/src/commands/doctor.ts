import { totalmem } from "node:os";
import { PROTOCOL_VERSION, telemetrySampleSchema } from "@labfleet/protocol";
import { DEFAULT_BUFFER_MAX_BYTES } from "../buffer/disk-buffer.ts";
import { probeBufferDir } from "../buffer/probe.ts";
import { collectRawSystemInfo, defaultInventoryMeta, mapInventory } from "../collectors/inventory.ts";
import { createSampler } from "../collectors/sampler.ts";
import { type AgentConfigFile, isConfigExposed, readConfigFile } from "../config/config-file.ts";
import { isAgentError } from "../errors.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { createLogger } from "../logger.ts";
import { isPidAlive, readStateFile, resolveStatePaths } from "../state-file.ts";
import { probeHandshake, probeHealth } from "../transport/probe.ts";
import { AGENT_VERSION } from "../version.ts";

export type CheckStatus = "ok" | "warn" | "fail";
export interface Check {
  name: string;
  status: CheckStatus;
  message: string;
  /** What to do about a warn or a fail. */
  fix?: string;
  /** The exit code a failure of this check means. */
  exitCode?: ExitCode;
}

export interface DoctorOptions {
  configPath: string;
  stateDir?: string | undefined;
  envStateDir?: string | undefined;
  json: boolean;
  out: (line: string) => void;
  timeoutMs?: number;
}

/** A clock further off than this makes telemetry land at the wrong place in the charts. */
const MAX_SKEW_MS = 5_000;
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const mib = (n: number) => `${Math.round(n / 1024 / 1024)} MiB`;

async function checkConfig(path: string): Promise<{ check: Check; config: AgentConfigFile | null }> {
  try {
    const config = await readConfigFile(path);
    if (await isConfigExposed(path)) {
      return {
        config,
        check: {
          name: "config",
          status: "warn",
          message: `${path} is readable by other users, and it holds the device secret`,
          fix: `chmod 600 ${path}`,
        },
      };
    }
    return { config, check: { name: "config", status: "ok", message: `${path} (mode 0600)` } };
  } catch (e) {
    const message = isAgentError(e) ? e.message : errText(e);
    return {
      config: null,
      check: {
        name: "config",
        status: "fail",
        message,
        fix: "Enroll: labfleet-agent enroll --server URL --token TOKEN (with --force to replace a corrupt config).",
        exitCode: EXIT.CONFIG_INVALID,
      },
    };
  }
}

async function checkServer(config: AgentConfigFile, o: DoctorOptions, timeoutMs: number): Promise<Check[]> {
  const health = await probeHealth(config.serverUrl, timeoutMs);
  if (!health.ok) {
    return [
      {
        name: "server",
        status: "fail",
        message: `${config.serverUrl}: ${health.reason}`,
        fix: "Check the server address in the config, that the server runs, and the network (firewall, proxy).",
        exitCode: EXIT.SERVER_UNREACHABLE,
      },
    ];
  }
  const checks: Check[] = [
    { name: "server", status: "ok", message: `${config.serverUrl} answers (${health.latencyMs} ms)` },
  ];
  if (health.skewMs === null) {
    checks.push({ name: "clock", status: "warn", message: "the server sent no Date header: skew unknown" });
  } else {
    const s = (health.skewMs / 1000).toFixed(1);
    checks.push(
      Math.abs(health.skewMs) > MAX_SKEW_MS
        ? {
            name: "clock",
            status: "warn",
            message: `this clock is ${s} s ${health.skewMs > 0 ? "ahead of" : "behind"} the server's`,
            fix: "Turn on time synchronisation (timedatectl set-ntp true).",
          }
        : { name: "clock", status: "ok", message: `within ${Math.abs(Number(s))} s of the server's` },
    );
  }
  checks.push(await checkCredential(config, o, timeoutMs));
  return checks;
}

async function checkCredential(config: AgentConfigFile, o: DoctorOptions, timeoutMs: number): Promise<Check> {
  // A second connection with the same identity would push a running agent off: trust its live one instead.
  const state = await readStateFile(resolveStatePaths(o.configPath, o.stateDir, o.envStateDir).stateFile).catch(
    () => null,
  );
  if (state?.state === "online" && state.pid !== process.pid && isPidAlive(state.pid)) {
    return { name: "credential", status: "ok", message: `accepted: the running agent (pid ${state.pid}) is online` };
  }
  const probe = await probeHandshake(
    config.serverUrl,
    {
      deviceId: config.deviceId,
      secret: config.deviceSecret,
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: AGENT_VERSION,
    },
    timeoutMs,
  );
  if (probe.ok) return { name: "credential", status: "ok", message: `device ${config.deviceId} accepted` };
  const f = probe.failure;
  const fix =
    f.fatalExitCode === EXIT.CREDENTIAL_REFUSED
      ? "Enroll this device again with a new token (labfleet-agent enroll ... --force)."
      : f.fatalExitCode === EXIT.PROTOCOL_MISMATCH
        ? "Install the agent version that matches the server."
        : "Retry later; see the server's logs.";
  return {
    name: "credential",
    status: "fail",
    message: `${f.code}: ${f.message}`,
    fix,
    exitCode: f.fatalExitCode ?? EXIT.SERVER_UNREACHABLE,
  };
}

async function checkCollectors(): Promise<Check[]> {
  const checks: Check[] = [];
  const sampler = createSampler();
  const started = performance.now();
  try {
    const parsed = telemetrySampleSchema.safeParse(await sampler.sample());
    const ms = Math.round(performance.now() - started);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      checks.push({ name: `collector ${sampler.kind}`, status: "fail", message: `invalid sample: ${issues}` });
    } else {
      const nulls = Object.entries(parsed.data)
        .filter(([k, v]) => v === null && k !== "aggregatedCount")
        .map(([k]) => k);
      checks.push({
        name: `collector ${sampler.kind}`,
        status: "ok",
        message: `one sample in ${ms} ms; not exposed by this machine: ${nulls.length ? nulls.join(", ") : "none"}`,
      });
    }
  } catch (e) {
    checks.push({ name: `collector ${sampler.kind}`, status: "fail", message: `cannot take a sample: ${errText(e)}` });
  }
  const log = createLogger({ level: "silent" });
  const t0 = performance.now();
  const raw = await collectRawSystemInfo(log);
  const failed = Object.entries(raw)
    .filter(([, v]) => v === null)
    .map(([k]) => k);
  checks.push({
    name: "collector inventory",
    status: failed.length ? "warn" : "ok",
    message: `${Math.round(performance.now() - t0)} ms${failed.length ? `; no answer from: ${failed.join(", ")}` : ""}`,
  });
  const inventory = mapInventory(raw, defaultInventoryMeta(AGENT_VERSION, totalmem()));
  const runtimes = inventory.runtimes ?? [];
  if (runtimes.length === 0) {
    checks.push({ name: "runtimes", status: "warn", message: "the inventory reports no inference runtime" });
  }
  for (const r of runtimes) {
    const providers = r.executionProviders.length ? r.executionProviders.join(", ") : "no execution provider";
    checks.push({
      name: `runtime ${r.name}`,
      status: "ok",
      message: `${r.version ?? "version unknown"}; ${providers}`,
    });
  }
  return checks;
}

function checkBuffer(o: DoctorOptions, config: AgentConfigFile | null): Check[] {
  const dir = resolveStatePaths(o.configPath, o.stateDir, o.envStateDir).bufferDir;
  const probe = probeBufferDir(dir);
  if (!probe.ok) {
    return [
      {
        name: "buffer",
        status: "fail",
        message: `cannot write in ${dir} (${probe.reason})`,
        fix: "Make the directory writable by the agent's user, or pass --state-dir.",
        exitCode: EXIT.UNEXPECTED,
      },
    ];
  }
  const cap = config?.bufferMaxBytes ?? DEFAULT_BUFFER_MAX_BYTES;
  if (probe.freeBytes !== null && probe.freeBytes < cap) {
    return [
      {
        name: "buffer",
        status: "warn",
        message: `${dir} is writable but only ${mib(probe.freeBytes)} are free for a ${mib(cap)} buffer`,
        fix: "Free disk space, or lower bufferMaxBytes in the config.",
      },
    ];
  }
  const free = probe.freeBytes === null ? "free space unknown" : `${mib(probe.freeBytes)} free`;
  return [{ name: "buffer", status: "ok", message: `${dir} is writable, ${free}` }];
}

export async function runChecks(o: DoctorOptions): Promise<Check[]> {
  const timeoutMs = o.timeoutMs ?? 5_000;
  const { check, config } = await checkConfig(o.configPath);
  const checks = [check];
  if (config) checks.push(...(await checkServer(config, o, timeoutMs)));
  checks.push(...(await checkCollectors()));
  checks.push(...checkBuffer(o, config));
  return checks;
}

/** 0 when nothing failed, else the code of the first failure (config, server, credential come first). */
export function doctorExitCode(checks: readonly Check[]): ExitCode {
  const failed = checks.find((c) => c.status === "fail");
  return failed ? (failed.exitCode ?? EXIT.UNEXPECTED) : EXIT.OK;
}

export async function doctorCommand(o: DoctorOptions): Promise<ExitCode> {
  const checks = await runChecks(o);
  const exitCode = doctorExitCode(checks);
  if (o.json) {
    o.out(JSON.stringify({ ok: exitCode === EXIT.OK, exitCode, checks }, null, 2));
    return exitCode;
  }
  for (const c of checks) {
    o.out(`[${c.status.padStart(4)}] ${c.name.padEnd(22)} ${c.message}`);
    if (c.fix && c.status !== "ok") o.out(`       ${"".padEnd(22)} fix: ${c.fix}`);
  }
  const failures = checks.filter((c) => c.status === "fail").length;
  const warnings = checks.filter((c) => c.status === "warn").length;
  o.out(
    failures ? `${failures} failed, ${warnings} warnings.` : `All good${warnings ? ` (${warnings} warnings)` : ""}.`,
  );
  return exitCode;
}
