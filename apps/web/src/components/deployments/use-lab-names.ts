"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";

/** A lab's name by id, for "Lab Room 12" rather than an id in a deployment's target. */
export function useLabNames(): (labId: string) => string | undefined {
  const trpc = useTRPC();
  const labs = useQuery(trpc.lab.list.queryOptions(undefined, { staleTime: 60_000 }));
  return (labId) => labs.data?.find((l) => l.id === labId)?.name;
}
