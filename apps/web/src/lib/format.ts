/** Display formatting. Every number leaves here with its unit; a missing value is an em dash, never 0. */

export const MISSING = "—";

const GiB = 1024 ** 3;
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

export function formatPercent(value: number | null | undefined, digits = 0): string {
  if (value == null || !Number.isFinite(value)) return MISSING;
  return `${value.toFixed(digits)}%`;
}

export function formatTempC(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return MISSING;
  return `${value.toFixed(0)} °C`;
}

/** Binary units (what the OS reports for memory): 16 GiB, 512 MiB, 1.8 TiB. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) return MISSING;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** "5.2 / 16.0 GiB": used and total in one unit, so that the two compare at a glance. */
export function formatMemPair(usedBytes: number, totalBytes: number): string {
  return `${(usedBytes / GiB).toFixed(1)} / ${(totalBytes / GiB).toFixed(1)} GiB`;
}

export function formatGHz(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value) || value === 0) return MISSING;
  return `${value.toFixed(2)} GHz`;
}

export function formatLinkSpeed(mbps: number | null | undefined): string {
  if (mbps == null || !Number.isFinite(mbps) || mbps <= 0) return MISSING;
  return mbps >= 1000 ? `${(mbps / 1000).toFixed(mbps % 1000 === 0 ? 0 : 1)} Gbit/s` : `${mbps} Mbit/s`;
}

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago". Clamped at "just now" for clocks slightly ahead. */
export function formatAgo(ts: number, now: number): string {
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 2) return "just now";
  if (s < 60) return `${s} s ago`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** "in 3 h", "in 6 d", or "3 h ago" for the past. */
export function formatRelative(ts: number, now: number): string {
  if (ts <= now) return formatAgo(ts, now);
  const min = Math.round((ts - now) / 60_000);
  if (min < 1) return "in under a minute";
  if (min < 60) return `in ${min} min`;
  const h = Math.round(min / 60);
  if (h < 48) return `in ${h} h`;
  return `in ${Math.round(h / 24)} d`;
}

export function formatUptime(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return MISSING;
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return `${m} min`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatDateTime(date: Date | number): string {
  return dateTime.format(date);
}
