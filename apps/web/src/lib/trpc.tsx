"use client";

import type { AppRouter } from "@labfleet/api/client";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { type ReactNode, useState } from "react";
import superjson from "superjson";
import { z } from "zod";
import { errorCode, goToLogin } from "./errors";

// Zod probes for eval (`new Function`) to compile faster parsers; the Content-Security-Policy forbids eval, so the
// probe would report a violation in every page's console. Parsing works the same without it.
z.config({ jitless: true });

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/** An UNAUTHORIZED answer means the session ended (expired, signed out elsewhere): start over at /login. */
function onError(error: unknown): void {
  if (errorCode(error) === "UNAUTHORIZED") goToLogin();
}

function makeQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // Retrying a refused or invalid request only delays the message a person needs to see.
        retry: (failures, error) => {
          const code = errorCode(error);
          if (code && code !== "INTERNAL_SERVER_ERROR" && code !== "TIMEOUT") return false;
          return failures < 2;
        },
      },
    },
  });
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  // One client per browser tab, created lazily so that React never shares it between renders of the server pass.
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: "/api/trpc", transformer: superjson })],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
