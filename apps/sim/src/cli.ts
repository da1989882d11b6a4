import pino from "pino";
import { parseSimArgs, USAGE } from "./args.ts";
import { startSimulator } from "./simulator.ts";

const log = pino({ name: "labfleet-sim", level: process.env.LOG_LEVEL ?? "info" });

async function main(): Promise<number> {
  let args: ReturnType<typeof parseSimArgs>;
  try {
    args = parseSimArgs(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return 2;
  }
  const sim = await startSimulator({
    url: args.server,
    token: args.token ?? null,
    devices: args.devices,
    seed: args.seed,
    allowRemote: args.allowRemote,
    ...(args.state ? { stateFile: args.state } : {}),
    ...(args.intervalMs ? { intervalMs: args.intervalMs } : {}),
    personalityFor: (i) => (i < args.hot ? "hot" : undefined),
    log,
  });
  log.info(
    {
      devices: sim.devices.length,
      enrolled: sim.enrolled,
      reused: sim.devices.length - sim.enrolled,
      stateFile: sim.stateFile,
    },
    `simulating ${sim.devices.length} devices for ${args.seconds} s (Ctrl-C stops)`,
  );

  const report = setInterval(() => {
    const online = sim.devices.filter((d) => d.connected).length;
    const sent = sim.devices.reduce((n, d) => n + d.stats.sent, 0);
    log.info({ online, sent }, "simulator status");
  }, 10_000);

  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, args.seconds * 1000);
    const onSignal = () => {
      clearTimeout(timer);
      resolve();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  clearInterval(report);
  await sim.stop();
  const sent = sim.devices.reduce((n, d) => n + d.stats.sent, 0);
  log.info({ sent }, "simulator stopped");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
