import type { NextConfig } from "next";

// Read by Next's telemetry when `next build` constructs it, which happens after this file is loaded.
// Schools run this behind locked-down networks: never phone home, whatever the shell exported.
process.env.NEXT_TELEMETRY_DISABLED ??= "1";

const nextConfig: NextConfig = {
  // The workspace protocol package ships TypeScript sources (with `.ts` import specifiers).
  transpilePackages: ["@labfleet/protocol"],
  // The repo's `typecheck` task runs tsc over this app; the build does not repeat it.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  reactStrictMode: true,
  // Everything is served by our custom server on one port; no image optimiser, no remote assets.
  images: { unoptimized: true },
  async redirects() {
    return [{ source: "/", destination: "/devices", permanent: false }];
  },
};

export default nextConfig;
