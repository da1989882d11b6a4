import type { ReactNode } from "react";
import { cx } from "./cx";

export function ErrorNotice({
  children,
  className,
  testId,
}: {
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <div
      role="alert"
      data-testid={testId}
      className={cx("rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 ring-1 ring-red-200", className)}
    >
      {children}
    </div>
  );
}

export function InfoNotice({ children, className }: { children: ReactNode; className?: string }) {
  return (
    <div
      role="status"
      className={cx("rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200", className)}
    >
      {children}
    </div>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div role="status" className="flex items-center gap-2 py-10 text-sm text-slate-500">
      <span className="size-4 animate-spin rounded-full border-2 border-slate-300 border-t-sky-600" aria-hidden />
      {label}
    </div>
  );
}

export function Card({
  children,
  className,
  title,
  actions,
}: {
  children: ReactNode;
  className?: string;
  title?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <section className={cx("rounded-lg bg-white p-4 shadow-xs ring-1 ring-slate-200", className)}>
      {(title || actions) && (
        <div className="mb-3 flex items-center justify-between gap-2">
          {title && <h2 className="text-sm font-semibold text-slate-800">{title}</h2>}
          {actions}
        </div>
      )}
      {children}
    </section>
  );
}
