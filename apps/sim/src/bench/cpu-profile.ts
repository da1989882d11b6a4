// Profiles a running Node process through its inspector for a fixed window, so that a bench measures where the
// control plane's time goes while it takes in load, not while it starts. Run as a child of the bench, with Node's
// WebSocket client turned on: node --experimental-websocket --import tsx cpu-profile.ts <inspector port> <s> <out>
// Prints "started" once the profiler runs, "done" once the profile is written.
import { writeFileSync } from "node:fs";

const [port, seconds, out] = process.argv.slice(2);
const windowMs = Number(seconds) * 1000;
if (!port || !out || !(windowMs > 0 && windowMs <= 600_000)) {
  process.stderr.write("usage: cpu-profile.ts <inspector port> <seconds> <out.cpuprofile>\n");
  process.exit(2);
}

const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
  webSocketDebuggerUrl: string;
}[];
const url = targets[0]?.webSocketDebuggerUrl;
if (!url) throw new Error(`no inspector target on port ${port}`);
const ws = new WebSocket(url);
await new Promise<void>((resolve, reject) => {
  ws.addEventListener("open", () => resolve());
  ws.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)));
});
let nextId = 1;
const waiting = new Map<number, (r: { result?: unknown; error?: unknown }) => void>();
ws.addEventListener("message", (ev) => {
  const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: unknown };
  if (msg.id !== undefined) waiting.get(msg.id)?.(msg);
});
function send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, (r) => (r.error ? reject(new Error(`${method}: ${JSON.stringify(r.error)}`)) : resolve(r.result)));
    ws.send(JSON.stringify({ id, method, params }));
  });
}

await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 1000 });
await send("Profiler.start");
process.stdout.write("started\n");
await new Promise((r) => setTimeout(r, windowMs));
const { profile } = (await send("Profiler.stop")) as { profile: unknown };
writeFileSync(out, JSON.stringify(profile));
ws.close();
process.stdout.write("done\n");
process.exit(0);
