import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** The monorepo's root: the nearest folder above `from` whose package.json declares workspaces. */
export function findRepoRoot(from: string): string {
  let dir = path.resolve(from);
  for (let i = 0; i < 12; i++) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg) && "workspaces" in JSON.parse(readFileSync(pkg, "utf8"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`Cannot find the LabFleet repository above ${from}`);
}
