import { readFileSync } from "node:fs";

/** Replaced with the version from package.json by build.mjs (esbuild `define`). */
declare const __LABFLEET_AGENT_VERSION__: string | undefined;

function versionFromPackageJson(): string {
  // Only reached when running from source (tsx, tests); the bundle has the version inlined.
  const pkg: unknown = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  if (typeof pkg === "object" && pkg !== null && "version" in pkg && typeof pkg.version === "string") {
    return pkg.version;
  }
  return "0.0.0-unknown";
}

export const AGENT_VERSION: string =
  typeof __LABFLEET_AGENT_VERSION__ === "string" ? __LABFLEET_AGENT_VERSION__ : versionFromPackageJson();
