"use client";

import type { RunProgress, RunUpdated } from "@labfleet/protocol";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { getDashboardSocket, onSocketConnect } from "@/lib/dashboard-socket";
import { useTRPC } from "@/lib/trpc";
import { coalesce } from "./live-refresh";

/**
 * Keeps the run queries of the page fresh. A progress tick is applied in place (returned by runId), so that a
 * counter moving ten times a second does not refetch anything; a change of status refetches the run queries,
 * as does a reconnection, which may have missed some.
 *
 * `match` picks the events this page cares about (one run, one group); null takes every run.
 */
export function useLiveRuns(match: ((e: RunUpdated) => boolean) | null = null): Map<string, RunProgress> {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [progress, setProgress] = useState<Map<string, RunProgress>>(() => new Map());
  const matchRef = useRef(match);
  matchRef.current = match;
  useEffect(() => {
    const statuses = new Map<string, string>();
    const refresh = coalesce(() => void queryClient.invalidateQueries({ queryKey: trpc.run.pathKey() }));
    const onRun = (e: RunUpdated) => {
      if (matchRef.current && !matchRef.current(e)) return;
      if (e.progress && e.status === "running") {
        const p = e.progress;
        setProgress((prev) => new Map(prev).set(e.runId, p));
      }
      if (statuses.get(e.runId) !== e.status) {
        statuses.set(e.runId, e.status);
        refresh.request();
      }
    };
    const socket = getDashboardSocket();
    socket.on("run:updated", onRun);
    const stop = onSocketConnect(refresh.request);
    return () => {
      socket.off("run:updated", onRun);
      stop();
      refresh.stop();
    };
  }, [queryClient, trpc]);
  return progress;
}
