// The schedule form's checks, the same as the server's, so that a mistake is shown before a round trip.
export interface Draft {
  title: string;
  labId: string;
  startsAt: string;
  endsAt: string;
  assignmentId: string;
  autoStart: boolean;
}

export type Errors = Partial<Record<"title" | "labId" | "startsAt" | "endsAt", string>>;

const pad = (n: number) => String(n).padStart(2, "0");

/** The value a datetime-local input takes, in the browser's time zone. */
export function localInput(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function nextHour(offsetHours: number): string {
  const d = new Date();
  d.setMinutes(0, 0, 0);
  d.setHours(d.getHours() + 1 + offsetHours);
  return localInput(d);
}

const MAX_MS = 12 * 3_600_000;

export type WindowErrors = Pick<Errors, "startsAt" | "endsAt">;

/** The checks of a session's window (two datetime-local values), when it is scheduled and when it is moved. */
export function validateWindow(startsAt: string, endsAt: string): WindowErrors {
  const errors: WindowErrors = {};
  const start = new Date(startsAt);
  const end = new Date(endsAt);
  if (!startsAt || Number.isNaN(start.getTime())) errors.startsAt = "Enter when it starts.";
  if (!endsAt || Number.isNaN(end.getTime())) errors.endsAt = "Enter when it ends.";
  else if (!errors.startsAt && end <= start) errors.endsAt = "The end must be after the start.";
  else if (!errors.startsAt && end.getTime() - start.getTime() > MAX_MS)
    errors.endsAt = "A session lasts at most 12 hours.";
  return errors;
}

export function validateSchedule(d: Draft): Errors {
  const errors: Errors = {};
  if (!d.title.trim()) errors.title = "Give the session a title.";
  if (!d.labId) errors.labId = "Choose the lab.";
  return { ...errors, ...validateWindow(d.startsAt, d.endsAt) };
}
