import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { TRPCReactProvider } from "@/lib/trpc";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "LabFleet", template: "%s · LabFleet" },
  description: "The machines of your AI lab, live.",
};

export const viewport: Viewport = { themeColor: "#0369a1" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen">
        <TRPCReactProvider>{children}</TRPCReactProvider>
      </body>
    </html>
  );
}
