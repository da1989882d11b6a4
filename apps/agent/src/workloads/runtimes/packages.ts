// Where the agent finds an inference runtime's npm package: beside the agent itself (the installer puts them
// there), else in the folders named by LABFLEET_AGENT_RUNTIME_DIRS (node_modules folders, separated by ":"),
// for runtimes kept apart from the agent. Found by their files, never by loading them.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ModelRuntime } from "@labfleet/protocol";

/** The package that must be present for each runtime (the one the loader imports first). */
export const RUNTIME_PACKAGE: Record<ModelRuntime, string> = {
  "onnxruntime-node": "onnxruntime-node",
  "node-llama-cpp": "node-llama-cpp",
  "tfjs-wasm": "@tensorflow/tfjs-backend-wasm",
};

/** The node_modules folders searched, in order, for runtime packages. `from`: a file of the agent. */
export function runtimeSearchDirs(from: string = import.meta.url, env: NodeJS.ProcessEnv = process.env): string[] {
  const beside = createRequire(from).resolve.paths("onnxruntime-node") ?? [];
  const extra = (env.LABFLEET_AGENT_RUNTIME_DIRS ?? "")
    .split(delimiter)
    .map((d) => d.trim())
    .filter((d) => d.length > 0);
  return [...new Set([...beside, ...extra])];
}

/** The folder of package `name` in the first search dir that holds it, or null. */
export function findRuntimePackage(name: string, dirs: string[] = runtimeSearchDirs()): string | null {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
  }
  return null;
}

type ExportsField = string | { [condition: string]: ExportsField } | null | undefined;

/** The file an `import` of the package's root resolves to, from its package.json (exports, else module/main). */
function entryOf(pkgDir: string): string {
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as {
    exports?: ExportsField;
    module?: string;
    main?: string;
  };
  const pick = (e: ExportsField): string | null => {
    if (typeof e === "string") return e;
    if (!e || typeof e !== "object") return null;
    const root = "." in e ? e["."] : e;
    if (typeof root === "string") return root;
    if (!root || typeof root !== "object") return null;
    for (const cond of ["node", "import", "default", "require"]) {
      const hit = pick(root[cond]);
      if (hit) return hit;
    }
    return null;
  };
  return join(pkgDir, pick(pkg.exports) ?? pkg.module ?? pkg.main ?? "index.js");
}

/**
 * Imports a runtime package: the ordinary way first (beside the agent), else from the search dirs. Throws the
 * ordinary module-not-found error when it is nowhere.
 */
export async function importRuntimePackage<T>(name: string, dirs: string[] = runtimeSearchDirs()): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (e) {
    const dir = findRuntimePackage(name, dirs);
    if (!dir) throw e;
    return (await import(pathToFileURL(entryOf(dir)).href)) as T;
  }
}
