import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import { AGENT_NODE_FLAGS, shebangNodeFlags } from "./node-flags.ts";

describe("agent node flags", () => {
  test("reads the flags of an env -S shebang and nothing from any other line", () => {
    assert.deepEqual(shebangNodeFlags("#!/usr/bin/env -S node --no-opt --max-semi-space-size=1"), [
      "--no-opt",
      "--max-semi-space-size=1",
    ]);
    assert.deepEqual(shebangNodeFlags("#!/usr/bin/env -S node"), []);
    assert.deepEqual(shebangNodeFlags("#!/usr/bin/env node"), []);
    assert.deepEqual(shebangNodeFlags("import x from 'y';"), []);
    assert.deepEqual(shebangNodeFlags("#!/usr/bin/env -S node --x; rm -rf /"), []);
  });

  test("the built bundle's shebang asks for exactly these flags", async (t) => {
    const cli = new URL("../dist/cli.js", import.meta.url);
    const text = await readFile(cli, "utf8").catch(() => null);
    if (text === null) return t.skip("apps/agent/dist/cli.js is not built (npm test builds it first)");
    assert.deepEqual(shebangNodeFlags(text.split("\n")[0] ?? ""), [...AGENT_NODE_FLAGS]);
  });
});
