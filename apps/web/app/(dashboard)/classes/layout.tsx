import type { Metadata } from "next";
import type { ReactNode } from "react";

export const metadata: Metadata = { title: "Classes" };

export default function ClassesLayout({ children }: { children: ReactNode }) {
  return children;
}
