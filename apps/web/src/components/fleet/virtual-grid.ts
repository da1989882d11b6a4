import type { DeviceSummary } from "@labfleet/protocol";

/** Where the tile grid is and how it is laid out, as read from the DOM. */
export interface GridGeometry {
  /** Items in the list. */
  count: number;
  /** Columns of the CSS grid at the current width (at least 1). */
  columns: number;
  /** One row's height plus the gap below it, in px. */
  stride: number;
  /** The list's top edge relative to the viewport (negative once scrolled past). */
  listTop: number;
  viewportHeight: number;
  /** Extra px rendered above and below the viewport, so that scrolling shows tiles, not blank space. */
  overscan: number;
}

/** The items to render, [start, end), and the space that stands in for the rows left out. */
export interface GridWindow {
  start: number;
  end: number;
  padTop: number;
  padBottom: number;
}

/**
 * Which rows of a uniform grid meet the viewport (plus overscan). A fleet page with 1,000 tiles shows
 * about 20; rendering only those keeps each flush of live updates proportional to the screen, not the fleet.
 */
export function visibleWindow(g: GridGeometry): GridWindow {
  const columns = Math.max(1, Math.floor(g.columns));
  const stride = Math.max(1, g.stride);
  const rows = Math.ceil(g.count / columns);
  if (rows === 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  const from = Math.max(0, -g.listTop - g.overscan);
  const to = Math.max(0, -g.listTop + g.viewportHeight + g.overscan);
  const firstRow = Math.min(rows - 1, Math.floor(from / stride));
  const lastRow = Math.min(rows - 1, Math.max(firstRow, Math.floor(to / stride)));
  return {
    start: firstRow * columns,
    end: Math.min(g.count, (lastRow + 1) * columns),
    padTop: firstRow * stride,
    padBottom: (rows - 1 - lastRow) * stride,
  };
}

export function sameWindow(a: GridWindow, b: GridWindow): boolean {
  return a.start === b.start && a.end === b.end && a.padTop === b.padTop && a.padBottom === b.padBottom;
}

const byName = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/** Seat order: by name with numbers compared as numbers (pc-2 before pc-10); revoked machines last. */
export function compareDevices(a: DeviceSummary, b: DeviceSummary): number {
  const revoked = Number(a.status === "revoked") - Number(b.status === "revoked");
  return revoked !== 0 ? revoked : byName.compare(a.name, b.name) || a.id.localeCompare(b.id);
}

/** The order of a fleet, remembered with what it was computed from. */
export interface FleetOrder {
  ids: string[];
  /** Per id, what the order depends on: name and whether revoked. */
  keys: Map<string, string>;
}

function orderKey(d: DeviceSummary): string {
  return `${d.status === "revoked" ? 1 : 0}${d.name}`;
}

/**
 * The fleet in seat order. Live updates change numbers, not names, four times a second: the previous order is
 * reused when no device was added, removed, renamed or revoked, so a flush costs a pass over the map, not a sort.
 */
export function orderFleet(
  devices: ReadonlyMap<string, DeviceSummary>,
  previous: FleetOrder | null,
): { list: DeviceSummary[]; order: FleetOrder } {
  if (previous && previous.ids.length === devices.size) {
    const list: DeviceSummary[] = [];
    for (const id of previous.ids) {
      const d = devices.get(id);
      if (!d || previous.keys.get(id) !== orderKey(d)) break;
      list.push(d);
    }
    if (list.length === devices.size) return { list, order: previous };
  }
  const list = [...devices.values()].sort(compareDevices);
  const keys = new Map<string, string>();
  for (const d of list) keys.set(d.id, orderKey(d));
  return { list, order: { ids: list.map((d) => d.id), keys } };
}
