"use client";

import type { DeploymentUpdated } from "@labfleet/protocol";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { coalesce } from "@/components/runs/live-refresh";
import { getDashboardSocket, onSocketConnect } from "@/lib/dashboard-socket";
import { useTRPC } from "@/lib/trpc";

/**
 * Refetches the deployment queries on `deployment:updated` (the event only says what changed; the query holds
 * the state) and after a reconnection. Download percents arrive in bursts: at most a few refetches a second.
 * `deploymentId` limits it to one deployment's events.
 */
export function useLiveDeployments(deploymentId: string | null = null): void {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const idRef = useRef(deploymentId);
  idRef.current = deploymentId;
  useEffect(() => {
    const refresh = coalesce(() => void queryClient.invalidateQueries({ queryKey: trpc.deployment.pathKey() }));
    const onUpdate = (e: DeploymentUpdated) => {
      if (idRef.current && e.deploymentId !== idRef.current) return;
      refresh.request();
    };
    const socket = getDashboardSocket();
    socket.on("deployment:updated", onUpdate);
    const stop = onSocketConnect(refresh.request);
    return () => {
      socket.off("deployment:updated", onUpdate);
      stop();
      refresh.stop();
    };
  }, [queryClient, trpc]);
}
