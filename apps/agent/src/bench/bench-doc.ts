import { readFile, writeFile } from "node:fs/promises";

export interface PhaseResult {
  intervalMs: number;
  wallS: number;
  reports: number;
  rssMedianMB: number;
  rssMaxMB: number;
  /** RssAnon: the agent's own memory, without the Node binary's pages. */
  anonMedianMB: number;
  cpuPct: number | null;
  sampleMedianMs: number | null;
  sampleP95Ms: number | null;
}

const START = "<!-- bench:agent results start -->";
const END = "<!-- bench:agent results end -->";

/** Replaces the results block of the agent section in docs/BENCHMARKS.md with this run's numbers. */
export async function writeBenchmarkDoc(
  path: string,
  run: { command: string; date: string; machine: string; phases: PhaseResult[] },
): Promise<void> {
  const doc = await readFile(path, "utf8");
  const s = doc.indexOf(START);
  const e = doc.indexOf(END);
  if (s < 0 || e < s) throw new Error(`${path} has no bench:agent results markers`);
  const block = [
    START,
    `Last run: \`${run.command}\`, ${run.date}, on ${run.machine}.`,
    "",
    ...resultTable(run.phases),
    END,
  ].join("\n");
  await writeFile(path, doc.slice(0, s) + block + doc.slice(e + END.length));
}

/** The results as a Markdown table, one row per phase. */
export function resultTable(phases: PhaseResult[]): string[] {
  const ms = (v: number | null) => (v === null ? "–" : v.toFixed(2));
  return [
    "| telemetry interval | measured s | reports sent | RSS median MB | RSS max MB | RssAnon median MB | CPU % of one core | sample median ms | sample p95 ms |",
    "|---|---|---|---|---|---|---|---|---|",
    ...phases.map(
      (p) =>
        `| ${p.intervalMs / 1000} s | ${p.wallS.toFixed(0)} | ${p.reports} | ${p.rssMedianMB.toFixed(1)} | ${p.rssMaxMB.toFixed(1)} | ${p.anonMedianMB.toFixed(1)} | ${p.cpuPct?.toFixed(2) ?? "n/a"} | ${ms(p.sampleMedianMs)} | ${ms(p.sampleP95Ms)} |`,
    ),
  ];
}
