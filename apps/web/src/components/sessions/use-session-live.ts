"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { getDashboardSocket, onSocketConnect } from "@/lib/dashboard-socket";
import { useTRPC } from "@/lib/trpc";

/** Bursts (a run's progress, a room checking in at once) become one refetch per interval. */
const REFETCH_EVERY_MS = 500;

/**
 * Keeps the lab-session queries of this page fresh: `session:updated` (check-ins, hands, status) and `run:updated`
 * (a student's progress) ask for them again, as does every reconnection, which may have missed events.
 */
export function useSessionLive(): void {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  useEffect(() => {
    const socket = getDashboardSocket();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const refetch = () => {
      if (timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        void queryClient.invalidateQueries({ queryKey: trpc.labSession.pathKey() });
      }, REFETCH_EVERY_MS);
    };
    socket.on("session:updated", refetch);
    socket.on("run:updated", refetch);
    const stop = onSocketConnect(refetch);
    return () => {
      socket.off("session:updated", refetch);
      socket.off("run:updated", refetch);
      stop();
      if (timer !== null) clearTimeout(timer);
    };
  }, [queryClient, trpc]);
}
