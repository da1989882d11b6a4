import type { ReactNode } from "react";

/** A heading cell: its label (none for an actions column) and, where it differs from the table's, its class. */
export interface Column {
  key?: string;
  label?: ReactNode;
  className?: string;
}

/** A heading: a plain label, a column, or `false` for a column the caller leaves out. */
export type HeadCell = string | Column | false;

/** Small capital headings under a rule: the default. */
export const HEAD_CAPS = "border-b border-slate-200 text-xs text-slate-500 uppercase";
/** Headings on a shaded band, in sentence case. */
export const HEAD_SHADED = "border-b border-slate-200 bg-slate-50 text-xs text-slate-500";
/** A scrolling white card: the frame of a table that stands on its own on a page. */
export const FRAME_CARD = "overflow-x-auto rounded-lg bg-white shadow-xs ring-1 ring-slate-200";

interface DataTableProps {
  head: readonly HeadCell[];
  /** The class of every heading cell that names none of its own. */
  thClassName: string;
  /** Gives the heading cells scope="col". */
  scoped?: boolean;
  headClassName?: string;
  bodyClassName?: string;
  /** The class of a div the table scrolls in; without one the table stands bare. */
  frame?: string;
  testId?: string;
  /** The body rows. */
  children: ReactNode;
}

function keyOf(cell: Column, index: number): string {
  if (cell.key) return cell.key;
  return typeof cell.label === "string" && cell.label ? cell.label : `column-${index}`;
}

/** A full-width table with one row of headings and a body divided by rules. */
export function DataTable({
  head,
  thClassName,
  scoped,
  headClassName = HEAD_CAPS,
  bodyClassName = "divide-y divide-slate-100",
  frame,
  testId,
  children,
}: DataTableProps) {
  const cells = head
    .filter((c): c is string | Column => c !== false)
    .map((c) => (typeof c === "string" ? { label: c } : c));
  const table = (
    <table className="w-full text-left text-sm" data-testid={testId}>
      <thead className={headClassName}>
        <tr>
          {cells.map((cell, i) => (
            <th key={keyOf(cell, i)} scope={scoped ? "col" : undefined} className={cell.className ?? thClassName}>
              {cell.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody className={bodyClassName}>{children}</tbody>
    </table>
  );
  return frame ? <div className={frame}>{table}</div> : table;
}
