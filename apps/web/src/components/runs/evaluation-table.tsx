import type { EvaluationItem } from "@labfleet/protocol";
import { cx } from "@/components/ui/cx";
import { DataTable } from "@/components/ui/data-table";
import { Card } from "@/components/ui/notice";

/** Each scored item: what the model saw, what was expected, what it answered, and the score. */
export function EvaluationTable({ items, accuracy }: { items: EvaluationItem[]; accuracy: number | null }) {
  return (
    <Card
      title={`Evaluation items (${items.length})`}
      actions={
        accuracy !== null && (
          <span className="text-sm text-slate-600">
            Mean score <strong data-testid="evaluation-accuracy">{(accuracy * 100).toFixed(1)}%</strong>
          </span>
        )
      }
    >
      {items.length === 0 ? (
        <p className="text-sm text-slate-500">The device reported no items.</p>
      ) : (
        <DataTable
          frame="overflow-x-auto"
          testId="evaluation-table"
          thClassName="px-2 py-1.5 font-medium"
          head={[
            "Input",
            "Expected",
            "Recognised",
            { label: "Score", className: "px-2 py-1.5 text-right font-medium" },
          ]}
        >
          {items.map((it, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: items have no id; the device's order is stable.
            <tr key={i} data-testid="evaluation-item" data-score={it.score} className="align-top">
              <td className="px-2 py-1.5 font-mono text-xs text-slate-600">{it.input}</td>
              <td className="px-2 py-1.5 whitespace-pre-wrap text-slate-800" data-testid="evaluation-expected">
                {it.expected}
              </td>
              <td
                className={cx(
                  "px-2 py-1.5 whitespace-pre-wrap",
                  it.score >= 0.999 ? "text-emerald-800" : it.score >= 0.5 ? "text-amber-800" : "text-red-800",
                )}
                data-testid="evaluation-got"
              >
                {it.got || <span className="text-slate-400 italic">(nothing)</span>}
              </td>
              <td className="px-2 py-1.5 text-right tabular-nums">{(it.score * 100).toFixed(0)}%</td>
            </tr>
          ))}
        </DataTable>
      )}
    </Card>
  );
}
