// Bundles the agent into one self-contained file, dist/cli.js: workspace packages and npm dependencies
// included, so that a classroom machine needs only Node and this file.
import { chmod, readFile, rm } from "node:fs/promises";
import { build } from "esbuild";

const here = new URL(".", import.meta.url);
const pkg = JSON.parse(await readFile(new URL("package.json", here), "utf8"));
const outfile = new URL("dist/cli.js", here).pathname;

await rm(new URL("dist", here), { recursive: true, force: true });
const result = await build({
  entryPoints: [new URL("src/cli.ts", here).pathname],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Folds the `typeof __LABFLEET_AGENT_VERSION__` check so that the package.json fallback is dropped.
  minifySyntax: true,
  sourcemap: false,
  legalComments: "none",
  define: { __LABFLEET_AGENT_VERSION__: JSON.stringify(pkg.version) },
  // Optional native speed-ups of `ws`, required inside try/catch: absent is fine.
  external: ["bufferutil", "utf-8-validate"],
  banner: {
    // Bundled CommonJS dependencies call require(); ESM output has none unless we make one.
    js: "#!/usr/bin/env node\nimport { createRequire as __labfleetCreateRequire } from 'module'; const require = __labfleetCreateRequire(import.meta.url);",
  },
  logLevel: "warning",
  metafile: true,
});
await chmod(outfile, 0o755);
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
process.stdout.write(`built ${outfile} (${(bytes / 1024).toFixed(0)} KiB, agent ${pkg.version})\n`);
