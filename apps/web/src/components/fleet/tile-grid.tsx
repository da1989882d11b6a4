"use client";

import type { DeviceSummary } from "@labfleet/protocol";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { DeviceTile } from "@/components/device-tile";
import { type GridWindow, sameWindow, visibleWindow } from "./virtual-grid";

/** A room's worth of tiles is rendered whole (find-in-page works, nothing to measure); a fleet is windowed. */
const WINDOW_ABOVE = 120;
/** A first guess at a tile row (tile + gap) until one is measured. */
const ESTIMATED_STRIDE_PX = 170;
const OVERSCAN_PX = 600;
/** Tiles rendered before the first measurement: more than a tall screen shows. */
const FIRST_PAINT_ITEMS = 48;

function initialWindow(count: number): GridWindow {
  const columns = 4;
  const end = Math.min(count, FIRST_PAINT_ITEMS);
  const rows = Math.ceil(count / columns);
  return { start: 0, end, padTop: 0, padBottom: Math.max(0, rows - Math.ceil(end / columns)) * ESTIMATED_STRIDE_PX };
}

/**
 * The fleet as tiles. Above WINDOW_ABOVE machines only the rows near the viewport are in the DOM (the page
 * scrolls as if all were there): with 1,000 machines reporting every second, rendering all tiles kept the main
 * thread busy most of the time although about 20 are on screen.
 */
export function TileGrid({ devices }: { devices: DeviceSummary[] }) {
  const ref = useRef<HTMLUListElement>(null);
  const windowed = devices.length > WINDOW_ABOVE;
  const count = devices.length;
  const [win, setWin] = useState<GridWindow>(() => initialWindow(count));
  const stride = useRef(ESTIMATED_STRIDE_PX);
  const frame = useRef<number | null>(null);

  const measure = useCallback(() => {
    frame.current = null;
    const ul = ref.current;
    if (!ul) return;
    const style = getComputedStyle(ul);
    const columns = style.gridTemplateColumns.split(" ").filter(Boolean).length || 1;
    const first = ul.firstElementChild as HTMLElement | null;
    if (first) stride.current = first.offsetHeight + (Number.parseFloat(style.rowGap) || 0);
    const next = visibleWindow({
      count,
      columns,
      stride: stride.current,
      listTop: ul.getBoundingClientRect().top,
      viewportHeight: window.innerHeight,
      overscan: OVERSCAN_PX,
    });
    setWin((prev) => (sameWindow(prev, next) ? prev : next));
  }, [count]);

  useEffect(() => {
    if (!windowed) return;
    const schedule = () => {
      if (frame.current === null) frame.current = requestAnimationFrame(measure);
    };
    window.addEventListener("scroll", schedule, { passive: true });
    window.addEventListener("resize", schedule);
    return () => {
      window.removeEventListener("scroll", schedule);
      window.removeEventListener("resize", schedule);
      if (frame.current !== null) cancelAnimationFrame(frame.current);
      frame.current = null;
    };
  }, [windowed, measure]);

  // The fleet grew or shrank (or the grid first appeared): measure again before the browser paints.
  useLayoutEffect(() => {
    if (windowed) measure();
  }, [windowed, measure]);

  const shown = windowed ? devices.slice(win.start, win.end) : devices;
  return (
    <ul
      ref={ref}
      className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-4"
      aria-label="Machines"
      data-testid="device-tiles"
      // No scroll anchoring: it would fight the padding that stands in for the rows left out.
      style={windowed ? { paddingTop: win.padTop, paddingBottom: win.padBottom, overflowAnchor: "none" } : undefined}
    >
      {shown.map((device) => (
        <DeviceTile key={device.id} device={device} />
      ))}
    </ul>
  );
}
