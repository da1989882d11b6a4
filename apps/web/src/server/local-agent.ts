import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { shebangNodeFlags } from "@labfleet/agent/node-flags";
import { createEnrollmentToken, type Db } from "@labfleet/api";

export interface LocalAgent {
  configPath: string;
  logPath: string;
  stop(): Promise<void>;
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

/**
 * Runs the real agent for this very machine as a child process, so that a first start shows one live device.
 * It enrolls once through the ordinary enrollment path (a one-use token), then reuses its credential.
 */
export async function startLocalAgent(opts: {
  db: Db;
  agentCli: string;
  serverUrl: string;
  dataDir: string;
}): Promise<LocalAgent> {
  const dir = path.join(opts.dataDir, "local-agent");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const configPath = path.join(dir, "agent.json");
  const logPath = path.join(dir, "agent.log");
  const log = createWriteStream(logPath, { flags: "a" });
  const env = { ...process.env, LABFLEET_AGENT_CONFIG: configPath };
  // With this server's Node, and the flags the bundle's shebang asks for, as an installed agent runs.
  const nodeFlags = shebangNodeFlags(readFileSync(opts.agentCli, "utf8").slice(0, 200).split("\n")[0] ?? "");
  const run = (args: string[]) => {
    const child = spawn(process.execPath, [...nodeFlags, opts.agentCli, ...args, "--config", configPath], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    return child;
  };

  if (!existsSync(configPath)) {
    const token = await createEnrollmentToken(
      opts.db,
      { label: "This machine (enrolled by npm start)", expiresInHours: 1, maxUses: 1 },
      null,
    );
    const code = await waitForExit(run(["enroll", "--server", opts.serverUrl, "--token", token.token]));
    if (code !== 0) throw new Error(`The local agent could not enroll (exit ${code}); see ${logPath}.`);
  }

  const child = run(["run"]);
  let stopping = false;
  child.once("exit", (code, signal) => {
    // Exit 0 is a clean stop (Ctrl-C in the terminal reaches the agent too); anything else is worth a warning.
    if (!stopping && code !== 0) opts.db.log.warn({ code, signal, logPath }, "the local agent stopped");
  });

  return {
    configPath,
    logPath,
    async stop() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await waitForExit(child);
        clearTimeout(timer);
      }
      log.end();
    },
  };
}
