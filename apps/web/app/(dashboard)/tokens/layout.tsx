import type { Metadata } from "next";
import type { ReactNode } from "react";

export const metadata: Metadata = { title: "Enrollment tokens" };

export default function TokensLayout({ children }: { children: ReactNode }) {
  return children;
}
