/**
 * The Node flags the agent runs with, everywhere it is started: the bundle's shebang (build.mjs), the systemd
 * unit's ExecStart, the control plane's local agent and the benchmark.
 *
 * `--no-opt --no-sparkplug` keep V8 to its interpreter: no optimising or baseline compiler. The agent is idle
 * almost all the time (one sample a second at most), so compiled code buys nothing, and the code space and
 * compiler memory it saves keep the agent under its 60 MB target (`npm run bench:agent`: about 55 MB, against
 * 60 MB without them, at the same CPU share). `--lite-mode` would save as much but turns WebAssembly off, and
 * with it Node's fetch (undici parses HTTP with wasm). Model workloads run in their own child processes
 * without these flags.
 */
export const AGENT_NODE_FLAGS: readonly string[] = ["--no-opt", "--no-sparkplug"];

/** The Node flags a script's `#!/usr/bin/env -S node …` line asks for, or none. */
export function shebangNodeFlags(firstLine: string): string[] {
  const m = /^#!\/usr\/bin\/env -S node((?: --[a-z0-9-]+(?:=\S+)?)*)\s*$/.exec(firstLine);
  return m?.[1] ? m[1].trim().split(" ") : [];
}
