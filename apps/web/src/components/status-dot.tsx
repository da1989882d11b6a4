import type { DeviceStatus } from "@labfleet/protocol";
import { cx } from "./ui/cx";

const DOT: Record<DeviceStatus, string> = {
  online: "bg-emerald-500",
  offline: "bg-slate-400",
  revoked: "bg-red-500",
};

export const STATUS_LABEL: Record<DeviceStatus, string> = {
  online: "Online",
  offline: "Offline",
  revoked: "Revoked",
};

export function StatusDot({ status, className }: { status: DeviceStatus; className?: string }) {
  return (
    <span aria-hidden className={cx("relative inline-flex size-2.5 shrink-0", className)}>
      {status === "online" && (
        <span className="absolute inline-flex size-full animate-ping rounded-full bg-emerald-400 opacity-50 [animation-duration:2.5s]" />
      )}
      <span className={cx("relative inline-flex size-2.5 rounded-full", DOT[status])} />
    </span>
  );
}
