"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "@/lib/trpc";

/** device id → seat code for a lab's devices (given out on first read), for the room map. */
export function useSeatCodes(labId: string): ReadonlyMap<string, string> {
  const trpc = useTRPC();
  const codes = useQuery(trpc.labSession.seatCodes.queryOptions({ labId }, { staleTime: 60_000 }));
  return useMemo(() => new Map((codes.data?.codes ?? []).map((c) => [c.deviceId, c.seatCode])), [codes.data]);
}
