import { cx } from "@/components/ui/cx";

/** A thin bar with its value exposed to assistive technology; `null` shows an indeterminate stripe. */
export function ProgressBar({
  percent,
  label,
  tone = "sky",
  className,
}: {
  percent: number | null;
  label: string;
  tone?: "sky" | "green" | "red" | "amber";
  className?: string;
}) {
  const value = percent === null ? null : Math.max(0, Math.min(100, percent));
  const color =
    tone === "green"
      ? "bg-emerald-500"
      : tone === "red"
        ? "bg-red-500"
        : tone === "amber"
          ? "bg-amber-500"
          : "bg-sky-600";
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value === null ? undefined : Math.round(value)}
      className={cx("h-2 w-full overflow-hidden rounded-full bg-slate-100", className)}
    >
      <div
        className={cx("h-full rounded-full transition-[width]", color, value === null && "w-1/3 animate-pulse")}
        style={value === null ? undefined : { width: `${value}%` }}
      />
    </div>
  );
}
