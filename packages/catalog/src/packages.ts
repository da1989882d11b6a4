import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

export interface InstalledPackage {
  name: string;
  root: string;
  version: string;
  licence: string;
}

/**
 * The folder of an installed package. `<pkg>/package.json` is the usual way in, but packages with an
 * `exports` map that omits it (both model packages do) refuse that, so the lookup then walks the same
 * node_modules folders Node would search.
 */
function packageRoot(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw error;
  }
  for (const dir of require.resolve.paths(name) ?? []) {
    if (existsSync(join(dir, name, "package.json"))) return join(dir, name);
  }
  throw new Error(`package ${name} is not installed`);
}

/** Where a package lives and the version and licence its own package.json declares. */
export function installedPackage(name: string): InstalledPackage {
  const root = packageRoot(name);
  const manifest: unknown = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const { version, license } = (manifest ?? {}) as { version?: unknown; license?: unknown };
  if (typeof version !== "string") throw new Error(`package ${name} has no version in its package.json`);
  return { name, root, version, licence: typeof license === "string" ? license : "UNKNOWN" };
}
