// Bundles the agent into one self-contained file, dist/cli.js: workspace packages and npm dependencies
// included, so that a classroom machine needs only Node and this file. Then packs it as an npm tarball,
// dist/pack/labfleet-agent-<version>.tgz, that the control plane serves to its installer: package.json lists
// no runtime dependencies, so `npm install -g <tarball>` fetches nothing.
import { execFileSync } from "node:child_process";
import { chmod, mkdir, readFile, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { build, transform } from "esbuild";

const here = new URL(".", import.meta.url);
const pkg = JSON.parse(await readFile(new URL("package.json", here), "utf8"));
const outfile = new URL("dist/cli.js", here).pathname;

await rm(new URL("dist", here), { recursive: true, force: true });

// The Node flags come from src/node-flags.ts, the one place that names them, into the shebang.
const flagsTs = await readFile(new URL("src/node-flags.ts", here), "utf8");
const { AGENT_NODE_FLAGS } = await import(
  `data:text/javascript,${encodeURIComponent((await transform(flagsTs, { loader: "ts", format: "esm" })).code)}`
);
const shebang = `#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(" ")}`.trimEnd();

// systeminformation is only needed to probe the hardware for the inventory, which runs in a short-lived child
// process. It goes in its own file, loaded on first use, so the long-lived agent never holds its ~700 KiB of code.
const SI_FILE = "./vendor/systeminformation.cjs";
await build({
  entryPoints: [(await import("node:module")).createRequire(import.meta.url).resolve("systeminformation")],
  outfile: new URL(`dist/${SI_FILE}`, here).pathname,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  legalComments: "none",
  logLevel: "warning",
});
const siSeparate = {
  name: "systeminformation-separate",
  setup(b) {
    b.onResolve({ filter: /^systeminformation$/ }, () => ({ path: SI_FILE, external: true }));
  },
};

// The workload child (`labfleet-agent workload`) is the only code that loads an inference runtime. It goes in its
// own file, imported by the CLI only for that command, so that the idle agent neither parses its code nor can
// reach the runtime. onnxruntime-node itself is never bundled: it is a native add-on with its own binaries,
// resolved at run time from node_modules beside the agent (the run manager refuses runs, with
// RUNTIME_UNAVAILABLE, when it is not installed).
const WORKLOAD_FILE = "./vendor/workload.js";
const RUNTIMES = [
  "onnxruntime-node",
  "node-llama-cpp",
  "@tensorflow/tfjs",
  "@tensorflow/tfjs-backend-wasm",
  "@vladmandic/face-api",
];
const workloadSeparate = {
  name: "workload-separate",
  setup(b) {
    b.onResolve({ filter: /[\\/]workloads[\\/]child\.ts$/ }, () => ({ path: WORKLOAD_FILE, external: true }));
  },
};

// zod re-exports every locale's messages; the agent only ever speaks English, so only `en` is bundled.
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";\n',
      resolveDir: dirname(args.path),
    }));
  },
};

const banner = (firstLine) =>
  // Bundled CommonJS dependencies call require(); ESM output has none unless we make one.
  `${firstLine}import { createRequire as __labfleetCreateRequire } from 'module'; const require = __labfleetCreateRequire(import.meta.url);`;

await build({
  entryPoints: [new URL("src/workloads/child.ts", here).pathname],
  outfile: new URL(`dist/${WORKLOAD_FILE}`, here).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minifySyntax: true,
  legalComments: "none",
  define: { __LABFLEET_AGENT_VERSION__: JSON.stringify(pkg.version) },
  external: RUNTIMES,
  plugins: [zodEnglishOnly],
  banner: { js: banner("") },
  logLevel: "warning",
});

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
  external: ["bufferutil", "utf-8-validate", ...RUNTIMES],
  plugins: [siSeparate, workloadSeparate, zodEnglishOnly],
  banner: { js: banner(`${shebang}\n`) },
  logLevel: "warning",
  metafile: true,
});
await chmod(outfile, 0o755);
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
process.stdout.write(`built ${outfile} (${(bytes / 1024).toFixed(0)} KiB, agent ${pkg.version})\n`);

// The tarball lives under dist/ so that turbo caches it with the bundle and git ignores it; `files` in
// package.json names only dist/cli.js, so the tarball never packs itself.
const packDir = new URL("dist/pack", here).pathname;
await mkdir(packDir, { recursive: true });
const packed = JSON.parse(
  execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", packDir], {
    cwd: here.pathname,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }),
);
const { filename, size, files } = packed[0];
const paths = files.map((f) => f.path);
if (
  !paths.includes("dist/cli.js") ||
  !paths.includes("dist/vendor/systeminformation.cjs") ||
  !paths.includes("dist/vendor/workload.js") ||
  paths.some((p) => p.startsWith("dist/pack"))
) {
  throw new Error(`the agent tarball holds the wrong files: ${paths.join(", ")}`);
}
process.stdout.write(`packed ${packDir}/${filename} (${(size / 1024).toFixed(0)} KiB)\n`);
