#!/usr/bin/env node
// Installs node-llama-cpp and only its prebuilt CPU build for this platform into .cache/runtimes/llama, so that the
// agent's language-model tests run without the 732 MB of CUDA/Vulkan builds a plain install brings. Idempotent:
// an install with the right versions is left alone. Tests find it through LABFLEET_AGENT_RUNTIME_DIRS.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const VERSION = "3.21.1";
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, ".cache", "runtimes", "llama");

/** The prebuilt CPU package for this machine, as node-llama-cpp names its optional dependencies. */
function cpuPackage() {
  const { platform, arch } = process;
  if (platform === "linux" && (arch === "x64" || arch === "arm64" || arch === "riscv64")) return `linux-${arch}`;
  if (platform === "linux" && arch === "arm") return "linux-armv7l";
  if (platform === "darwin" && arch === "arm64") return "mac-arm64-metal";
  if (platform === "darwin" && arch === "x64") return "mac-x64";
  if (platform === "win32" && (arch === "x64" || arch === "arm64")) return `win-${arch}`;
  return null;
}

function installedVersion(name) {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "node_modules", name, "package.json"), "utf8"));
    return typeof pkg.version === "string" ? pkg.version : null;
  } catch {
    return null;
  }
}

function sizeOf(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of readdirSync(path)) total += sizeOf(join(path, name));
  return total;
}

const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;

const platformPkg = cpuPackage();
if (!platformPkg) {
  console.log(
    `ensure-llama-runtime: no prebuilt node-llama-cpp build for ${process.platform}-${process.arch}; skipped`,
  );
  process.exit(0);
}
const wanted = ["node-llama-cpp", `@node-llama-cpp/${platformPkg}`];

if (wanted.every((name) => installedVersion(name) === VERSION)) {
  console.log(`ensure-llama-runtime: node-llama-cpp ${VERSION} (${platformPkg}) already in ${dir}`);
  process.exit(0);
}

mkdirSync(dir, { recursive: true });
const started = Date.now();
// --omit=optional keeps npm from fetching every GPU build; the CPU build is then named explicitly.
// --ignore-scripts: node-llama-cpp's postinstall only builds llama.cpp from source when no prebuilt build fits,
// which the agent never does (it loads with build: "never").
const args = [
  "install",
  "--prefix",
  dir,
  "--omit=optional",
  "--ignore-scripts",
  "--no-save",
  "--no-audit",
  "--no-fund",
  "--no-package-lock",
  ...wanted.map((name) => `${name}@${VERSION}`),
];
console.log(`ensure-llama-runtime: npm ${args.join(" ")}`);
const res = spawnSync(process.platform === "win32" ? "npm.cmd" : "npm", args, {
  stdio: "inherit",
  shell: process.platform === "win32",
});
if (res.status !== 0) {
  console.error(`ensure-llama-runtime: npm install failed (exit ${res.status ?? res.signal})`);
  process.exit(1);
}
const missing = wanted.filter((name) => installedVersion(name) !== VERSION);
if (missing.length > 0) {
  console.error(`ensure-llama-runtime: after the install, ${missing.join(", ")} is not at ${VERSION}`);
  process.exit(1);
}
const modules = join(dir, "node_modules");
const size = existsSync(modules) ? sizeOf(modules) : 0;
console.log(
  `ensure-llama-runtime: installed node-llama-cpp ${VERSION} (${platformPkg}) in ${dir}: ${mb(size)} on disk, ` +
    `${((Date.now() - started) / 1000).toFixed(1)} s`,
);
