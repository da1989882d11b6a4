import { Badge, type Tone } from "../ui/badge";

const TONE: Record<string, Tone> = { scheduled: "sky", active: "green", ended: "neutral", cancelled: "amber" };
const LABEL: Record<string, string> = {
  scheduled: "Scheduled",
  active: "In progress",
  ended: "Ended",
  cancelled: "Cancelled",
};

export function SessionStatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={TONE[status] ?? "neutral"} data-testid="session-status" data-status={status}>
      {LABEL[status] ?? status}
    </Badge>
  );
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });

/** "Tue 3 Dec, 09:00–10:30". */
export function formatWindow(startsAt: Date, endsAt: Date): string {
  const sameDay = startsAt.toDateString() === endsAt.toDateString();
  const end = sameDay ? timeFormat.format(endsAt) : `${dayFormat.format(endsAt)}, ${timeFormat.format(endsAt)}`;
  return `${dayFormat.format(startsAt)}, ${timeFormat.format(startsAt)}–${end}`;
}
