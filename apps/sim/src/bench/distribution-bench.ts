// `npm run bench:distribution`: 50 devices fetch the same ~15 MB model from the built control plane at once.
// Every device downloads every file of the PP-OCRv4 version (det + rec + keys, ~15.6 MB) over the real
// device-authenticated file route, hashing the bytes as they arrive. Measures the server's RSS growth (from
// /proc/PID/status, every 50 ms), the aggregate throughput, and checks that every copy verifies.
// Loopback only; bounded by HARD_LIMIT_MS. Flags: --devices N (default 50), --no-write.
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createTestDatabase } from "@labfleet/db/test-db";
import { startBuiltServer } from "@labfleet/e2e/built-server";
import { machineNote, repoRoot, writeResults } from "./load-kit.ts";
import { TrpcHttp } from "./trpc-http.ts";

const HARD_LIMIT_MS = 5 * 60_000;
const TARGET_RSS_GROWTH_MB = 64;

interface FileRef {
  name: string;
  sha256: string;
  sizeBytes: number;
}
interface Device {
  id: string;
  secret: string;
}

function readRssBytes(pid: number): Promise<number | null> {
  return readFile(`/proc/${pid}/status`, "utf8").then(
    (s) => {
      const m = /^VmRSS:\s+(\d+) kB$/m.exec(s);
      return m ? Number(m[1]) * 1024 : null;
    },
    () => null,
  );
}

/** Downloads one file as a device would, hashing it on the way; never holds the body in memory. */
async function fetchAndVerify(url: string, device: Device, file: FileRef): Promise<{ ok: boolean; bytes: number }> {
  const res = await fetch(`${url}/api/models/files/${file.sha256}`, {
    headers: { "x-labfleet-device-id": device.id, authorization: `Bearer ${device.secret}` },
    signal: AbortSignal.timeout(120_000),
  });
  if (res.status !== 200 || !res.body) throw new Error(`HTTP ${res.status} for ${file.name}`);
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { ok: bytes === file.sizeBytes && hash.digest("hex") === file.sha256, bytes };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { devices: { type: "string", default: "50" }, "no-write": { type: "boolean", default: false } },
  });
  const count = Number(values.devices);
  if (!Number.isInteger(count) || count < 1 || count > 500) throw new Error("--devices must be 1..500");
  if (process.platform !== "linux") throw new Error("bench:distribution reads /proc: Linux only");

  const db = await createTestDatabase();
  const server = await startBuiltServer({
    repoRoot,
    adminEmail: "bench@example.test",
    adminPassword: "correct-horse-battery-bench",
    databaseUrl: db.databaseUrl,
    dataDirPrefix: "labfleet-bench-dist-",
    stdout: "ignore",
  });
  try {
    const pid = server.child.pid as number;
    const api = await TrpcHttp.signIn(server.url, server.adminEmail, server.adminPassword);
    const models = await api.query<
      Array<{ slug: string | null; versions: Array<{ variant: string; files: FileRef[] }> }>
    >("model.list", undefined);
    const files = models.find((m) => m.slug === "pp-ocrv4")?.versions[0]?.files;
    if (!files?.length) throw new Error("the catalog has no pp-ocrv4 version: is the catalog synced at start?");
    const versionBytes = files.reduce((n, f) => n + f.sizeBytes, 0);

    // The devices are rows with a credential, as enrollment makes them; the bench measures the download, not enrollment.
    const devices: Device[] = [];
    for (let i = 0; i < count; i++) {
      const secret = `lfd_${randomBytes(32).toString("base64url")}`;
      const row = await db.prisma.device.create({
        data: {
          name: `dist-${i}`,
          hostname: `dist-${i}`,
          simulated: true,
          credentials: { create: { secretHash: createHash("sha256").update(secret).digest("hex") } },
        },
        select: { id: true },
      });
      devices.push({ id: row.id, secret });
    }

    // Warm the route once (first-request costs are not what is measured), then settle and take the baseline.
    const warm = devices[0] as Device;
    for (const f of files) await fetchAndVerify(server.url, warm, f);
    await new Promise((r) => setTimeout(r, 1_000));
    const baseline: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await readRssBytes(pid);
      if (r !== null) baseline.push(r);
      await new Promise((res) => setTimeout(res, 50));
    }
    baseline.sort((a, b) => a - b);
    const rss0 = baseline[Math.floor(baseline.length / 2)] ?? 0;

    let rssMax = rss0;
    let sampling = true;
    const sampler = (async () => {
      for (let i = 0; sampling && i < HARD_LIMIT_MS / 50; i++) {
        const r = await readRssBytes(pid);
        if (r !== null && r > rssMax) rssMax = r;
        await new Promise((res) => setTimeout(res, 50));
      }
    })();

    const t0 = performance.now();
    const results = await Promise.all(
      devices.map(async (d) => {
        let bytes = 0;
        let ok = true;
        for (const f of files) {
          const r = await fetchAndVerify(server.url, d, f);
          bytes += r.bytes;
          ok &&= r.ok;
        }
        return { ok, bytes };
      }),
    );
    const wallS = (performance.now() - t0) / 1000;
    sampling = false;
    await sampler;

    const verified = results.filter((r) => r.ok).length;
    const totalBytes = results.reduce((n, r) => n + r.bytes, 0);
    const growthMB = (rssMax - rss0) / 1e6;
    const rows = [
      "| devices | version size MB | verified | wall s | aggregate MB/s | server RSS before MB | server RSS max MB | growth MB |",
      "|---|---|---|---|---|---|---|---|",
      `| ${count} | ${(versionBytes / 1e6).toFixed(1)} | ${verified}/${count} | ${wallS.toFixed(2)} | ${(totalBytes / 1e6 / wallS).toFixed(0)} | ${(rss0 / 1e6).toFixed(1)} | ${(rssMax / 1e6).toFixed(1)} | ${growthMB.toFixed(1)} |`,
    ];
    process.stdout.write(`\n${rows.join("\n")}\n\n`);
    const checks = [
      [`every device verified its copy`, verified === count],
      [`server RSS growth ≤ ${TARGET_RSS_GROWTH_MB} MB`, growthMB <= TARGET_RSS_GROWTH_MB],
    ] as const;
    for (const [name, ok] of checks) process.stdout.write(`${ok ? "PASS" : "FAIL"}  ${name}\n`);

    if (!values["no-write"]) {
      await writeResults("distribution", [
        `Last run: \`npm run bench:distribution${count === 50 ? "" : ` -- --devices ${count}`}\`, ${new Date().toISOString()}, on ${machineNote()}.`,
        "",
        ...rows,
      ]);
    }
    return checks.every(([, ok]) => ok) ? 0 : 1;
  } finally {
    await server.stop();
    await db.close();
  }
}

const limit = setTimeout(() => {
  process.stderr.write(`bench:distribution: still running after ${HARD_LIMIT_MS / 1000} s; giving up\n`);
  process.exit(1);
}, HARD_LIMIT_MS);
limit.unref();
main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench:distribution failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
