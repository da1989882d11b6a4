"use client";

import { type ReactNode, useEffect, useId, useRef } from "react";
import { cx } from "./cx";

/** A modal form on the native <dialog> (focus trap, Escape, backdrop); Escape is ignored while `busy`. */
export function Modal({
  open,
  title,
  children,
  footer,
  busy,
  onClose,
  wide,
  testId,
}: {
  open: boolean;
  title: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
  busy?: boolean;
  onClose: () => void;
  wide?: boolean;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onClose();
      }}
      className={cx("m-auto w-full rounded-lg bg-white p-0 text-slate-900 shadow-xl", wide ? "max-w-3xl" : "max-w-lg")}
    >
      {open && (
        <>
          <div className="max-h-[75vh] overflow-y-auto p-5">
            <h2 id={titleId} className="mb-3 text-base font-semibold">
              {title}
            </h2>
            {children}
          </div>
          {footer && <div className="flex justify-end gap-2 rounded-b-lg bg-slate-50 px-5 py-3">{footer}</div>}
        </>
      )}
    </dialog>
  );
}
