import { formatPercent } from "@/lib/format";

function barColor(pct: number): string {
  if (pct >= 90) return "bg-red-500";
  if (pct >= 70) return "bg-amber-500";
  return "bg-sky-600";
}

/** One vertical bar per logical core, latest sample. */
export function CoreBars({ perCorePct }: { perCorePct: readonly number[] }) {
  if (perCorePct.length === 0) return <p className="text-sm text-slate-500">No per-core data.</p>;
  return (
    <ul className="flex flex-wrap gap-1.5" aria-label="Load per core" data-testid="core-bars">
      {perCorePct.map((pct, i) => (
        // Cores are identified by position; the list never reorders.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <li key={i} className="flex w-8 flex-col items-center gap-1" title={`Core ${i}: ${formatPercent(pct, 1)}`}>
          <div className="relative h-16 w-3 overflow-hidden rounded-sm bg-slate-100" aria-hidden>
            <div
              className={`absolute inset-x-0 bottom-0 transition-[height] duration-500 ${barColor(pct)}`}
              style={{ height: `${Math.min(100, Math.max(0, pct))}%` }}
            />
          </div>
          <span className="text-[10px] leading-none text-slate-500 tabular-nums">{i}</span>
          <span className="sr-only">
            Core {i}: {formatPercent(pct)}
          </span>
        </li>
      ))}
    </ul>
  );
}
