"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { getDashboardSocket, onSocketConnect } from "@/lib/dashboard-socket";
import { useTRPC } from "@/lib/trpc";

/**
 * Keeps every alert query of the page fresh: an `alert:updated` broadcast, or a reconnection (which may have
 * missed some), refetches them. Alerts change rarely, so a refetch is simpler than patching lists in place.
 */
export function useLiveAlerts(enabled = true): void {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!enabled) return;
    const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.alert.pathKey() });
    const socket = getDashboardSocket();
    socket.on("alert:updated", refresh);
    const stop = onSocketConnect(refresh);
    return () => {
      socket.off("alert:updated", refresh);
      stop();
    };
  }, [enabled, queryClient, trpc]);
}
