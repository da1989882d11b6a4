"use client";

/**
 * Coalesces a burst of refresh requests (a download reports its percent many times a second) into at most one
 * refetch per interval, so that the page shows the newest state without refetching on every event.
 */
export function coalesce(run: () => void, intervalMs = 400): { request: () => void; stop: () => void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = 0;
  return {
    request() {
      if (timer !== null) return;
      const wait = Math.max(0, last + intervalMs - Date.now());
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        run();
      }, wait);
    },
    stop() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
