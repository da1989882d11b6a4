import type { Metadata } from "next";
import type { ReactNode } from "react";

export const metadata: Metadata = { title: "Deployments" };

export default function DeploymentsLayout({ children }: { children: ReactNode }) {
  return children;
}
