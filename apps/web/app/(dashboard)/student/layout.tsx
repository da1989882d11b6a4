import type { Metadata } from "next";
import type { ReactNode } from "react";

export const metadata: Metadata = { title: "My classes" };

export default function StudentLayout({ children }: { children: ReactNode }) {
  return children;
}
