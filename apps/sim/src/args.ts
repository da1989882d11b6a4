import { parseArgs } from "node:util";
import { z } from "zod";
import { MAX_DEVICES } from "./simulator.ts";

export const USAGE = `Usage: npm run sim -- --devices N --server URL [options]

Starts N simulated devices that enroll with a token and report like real agents.

  --devices N        how many devices (1..${MAX_DEVICES})
  --server URL       the control plane, e.g. http://127.0.0.1:3000 (loopback unless --allow-remote)
  --token T          an enrollment token (maxUses >= devices not yet enrolled); default $LABFLEET_SIM_TOKEN
  --seconds S        stop after S seconds (default 300, at most 86400)
  --interval-ms MS   report at this pace whatever the server asks (default: the server decides)
  --state FILE       credentials file (default data/sim/<server>.json); a second run reuses its devices
  --seed N           base seed of hardware and personalities (default 1)
  --hot N            the first N devices report 95 °C and throttling (alert demos)
  --allow-remote     allow a non-loopback server
`;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const argsSchema = z.object({
  devices: int(1, MAX_DEVICES),
  server: z.url({ protocol: /^https?$/ }),
  token: z.string().min(8).max(128).optional(),
  seconds: int(1, 86_400).default(300),
  intervalMs: int(250, 3_600_000).optional(),
  state: z.string().min(1).optional(),
  seed: int(0, 2 ** 32 - 1).default(1),
  hot: int(0, MAX_DEVICES).default(0),
  allowRemote: z.boolean().default(false),
});
export type SimArgs = z.infer<typeof argsSchema>;

export function parseSimArgs(argv: string[], env: NodeJS.ProcessEnv): SimArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      devices: { type: "string" },
      server: { type: "string" },
      token: { type: "string" },
      seconds: { type: "string" },
      "interval-ms": { type: "string" },
      state: { type: "string" },
      seed: { type: "string" },
      hot: { type: "string" },
      "allow-remote": { type: "boolean" },
    },
    strict: true,
  });
  const parsed = argsSchema.safeParse({
    devices: values.devices,
    server: values.server,
    token: values.token ?? (env.LABFLEET_SIM_TOKEN || undefined),
    seconds: values.seconds,
    intervalMs: values["interval-ms"],
    state: values.state,
    seed: values.seed,
    hot: values.hot,
    allowRemote: values["allow-remote"],
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`--${String(issue?.path[0] ?? "?")}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}
