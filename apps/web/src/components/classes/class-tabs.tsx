"use client";

import type { KeyboardEvent, ReactNode } from "react";
import { cx } from "../ui/cx";

export const CLASS_TABS = ["roster", "sessions", "assignments", "gradebook"] as const;
export type ClassTab = (typeof CLASS_TABS)[number];

export const TAB_LABELS: Record<ClassTab, string> = {
  roster: "Roster",
  sessions: "Sessions",
  assignments: "Assignments",
  gradebook: "Gradebook",
};

export function parseTab(value: string | null, allowed: readonly ClassTab[]): ClassTab {
  const tab = CLASS_TABS.find((t) => t === value);
  return tab && allowed.includes(tab) ? tab : (allowed[0] ?? "sessions");
}

/** The tab bar and the selected panel (WAI-ARIA tabs; arrow keys move between tabs). */
export function ClassTabs({
  tabs,
  selected,
  onSelect,
  children,
}: {
  tabs: readonly ClassTab[];
  selected: ClassTab;
  onSelect: (tab: ClassTab) => void;
  children: ReactNode;
}) {
  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const i = tabs.indexOf(selected);
    const next = tabs[(i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    if (!next) return;
    e.preventDefault();
    onSelect(next);
    document.getElementById(`class-tab-${next}`)?.focus();
  }
  return (
    <div>
      <div
        role="tablist"
        aria-label="Class"
        className="mb-4 flex gap-1 border-b border-slate-200"
        onKeyDown={onKeyDown}
      >
        {tabs.map((t) => (
          <button
            key={t}
            id={`class-tab-${t}`}
            type="button"
            role="tab"
            aria-selected={t === selected}
            aria-controls={`class-panel-${t}`}
            tabIndex={t === selected ? 0 : -1}
            onClick={() => onSelect(t)}
            data-testid={`class-tab-${t}`}
            className={cx(
              "-mb-px border-b-2 px-3 py-2 text-sm font-medium",
              t === selected
                ? "border-sky-700 text-sky-800"
                : "border-transparent text-slate-500 hover:border-slate-300 hover:text-slate-800",
            )}
          >
            {TAB_LABELS[t]}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`class-panel-${selected}`} aria-labelledby={`class-tab-${selected}`}>
        {children}
      </div>
    </div>
  );
}
