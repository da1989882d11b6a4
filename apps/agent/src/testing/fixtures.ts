import { cp, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = fileURLToPath(new URL("../collectors/__fixtures__/", import.meta.url));

export type Machine = "vm" | "desktop" | "laptop";

export function fixtureRoot(machine: Machine): string {
  return join(FIXTURES, machine);
}

/** A writable copy of a recorded tree, so that a test can advance /proc/stat to its second snapshot. */
export async function copyFixture(machine: Machine): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `labfleet-fixture-${machine}-`));
  await cp(fixtureRoot(machine), dir, { recursive: true });
  return dir;
}
