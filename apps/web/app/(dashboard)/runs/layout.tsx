import type { Metadata } from "next";
import type { ReactNode } from "react";

export const metadata: Metadata = { title: "Runs" };

export default function RunsLayout({ children }: { children: ReactNode }) {
  return children;
}
