import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { catalogEntries } from "@labfleet/catalog";
import {
  type ModelFileRef,
  type RunStartInput,
  runStartSchema,
  type SignedRunResult,
  signedRunResultSchema,
} from "@labfleet/protocol";
import { captureLogger } from "../../testing/capture-logger.ts";
import { LocalModelStore } from "../local-store.ts";
import { RunManager } from "../run-manager.ts";
import type { ModelStore } from "../types.ts";
import { llamaThreads } from "./llama.ts";

const REPO = fileURLToPath(new URL("../../../../../", import.meta.url));
const CLI = fileURLToPath(new URL("../../cli.ts", import.meta.url));
/** Where scripts/ensure-llama-runtime.mjs installs node-llama-cpp with only its CPU build. */
const LLAMA_MODULES = join(REPO, ".cache/runtimes/llama/node_modules");
const SKIP = existsSync(join(LLAMA_MODULES, "node-llama-cpp", "package.json"))
  ? false
  : `node-llama-cpp is not installed in ${LLAMA_MODULES}: run \`node scripts/ensure-llama-runtime.mjs\``;

async function until(what: string, pred: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function harness(store: ModelStore) {
  const results: SignedRunResult[] = [];
  const { log } = captureLogger("warn");
  const manager = new RunManager({
    store,
    link: { reportModelStatus: () => {}, reportRunProgress: () => {} },
    reportResult: (r) => results.push(r),
    deviceId: "device-1",
    deviceSecret: "device-secret-for-tests",
    subscribeSamples: () => () => {},
    log,
    cliPath: CLI,
  });
  const resultOf = async (runId: string) => {
    await until(`the result of ${runId}`, () => results.some((r) => r.runId === runId));
    return results.find((r) => r.runId === runId) as SignedRunResult;
  };
  return { manager, resultOf };
}

function llmStart(runId: string, refs: ModelFileRef[], spec: Partial<RunStartInput["spec"]> = {}) {
  return runStartSchema.parse({
    runId,
    versionId: "version-llm",
    task: "llm",
    runtime: "node-llama-cpp",
    files: refs,
    spec: { kind: "benchmark", iterations: 3, warmup: 1, promptTokens: 24, generateTokens: 16, ...spec },
  });
}

test("threads never exceed the cores, whatever the job asks", () => {
  assert.equal(llamaThreads({ threads: 64 }, 2), 2);
  assert.equal(llamaThreads({ threads: 1 }, 8), 1);
  assert.equal(llamaThreads({ threads: null }, 4), 4);
});

describe("node-llama-cpp runs the synthetic tiny llama through the real run manager and workload child", {
  skip: SKIP,
}, () => {
  let dir = "";
  let previousDirs: string | undefined;
  let good: { store: LocalModelStore; refs: ModelFileRef[] };
  let corrupt: { store: LocalModelStore; refs: ModelFileRef[] };
  before(async () => {
    previousDirs = process.env.LABFLEET_AGENT_RUNTIME_DIRS;
    // The run manager looks for the runtime here, and the workload child inherits the variable.
    process.env.LABFLEET_AGENT_RUNTIME_DIRS = LLAMA_MODULES;
    dir = await mkdtemp(join(tmpdir(), "labfleet-llama-"));
    const entry = (await catalogEntries({ workDir: join(dir, "catalog") })).find((e) => e.task === "llm");
    const path = entry?.variants[0]?.files.find((f) => f.role === "model")?.path;
    assert.ok(path, "the catalog holds the generated tiny llama");
    good = await LocalModelStore.of([{ name: "model.gguf", role: "model", path }]);
    const bytes = await readFile(path);
    // Cut inside the tensor data: the header parses, the weights are missing, as after a broken copy.
    const cut = join(dir, "cut.gguf");
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 4)));
    corrupt = await LocalModelStore.of([{ name: "cut.gguf", role: "model", path: cut }]);
  });
  after(async () => {
    if (previousDirs === undefined) delete process.env.LABFLEET_AGENT_RUNTIME_DIRS;
    else process.env.LABFLEET_AGENT_RUNTIME_DIRS = previousDirs;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("a benchmark succeeds with token rates, generated text and threads within the cores", async (t) => {
    const h = harness(good.store);
    assert.deepEqual(h.manager.start(llmStart("run-llm", good.refs, { threads: 64 })), {
      ok: true,
      data: { accepted: true },
    });
    const r = await h.resultOf("run-llm");
    assert.equal(r.status, "succeeded", JSON.stringify(r.error));
    assert.ok(signedRunResultSchema.safeParse(r).success);
    assert.ok(r.llm, "a language-model run carries the llm block");
    assert.ok(r.llm.timeToFirstTokenMs > 0);
    assert.ok(r.llm.promptTokensPerS > 0);
    assert.ok(r.llm.generationTokensPerS > 0);
    assert.ok(r.llm.generatedText.length > 0);
    assert.equal(r.latencyMs?.count, 3);
    assert.equal(r.env.runtime, "node-llama-cpp");
    assert.equal(r.env.runtimeVersion, "3.21.1");
    assert.ok(r.env.threads !== null && r.env.threads <= availableParallelism(), `threads ${r.env.threads}`);
    assert.equal(r.accuracy, null);
    const { generatedText, ...rates } = r.llm;
    t.diagnostic(`llm ${JSON.stringify(rates)}, ${generatedText.length} chars, threads ${r.env.threads}`);
  });

  test("a truncated GGUF fails as MODEL_LOAD_FAILED with llama.cpp's own reason", async () => {
    const h = harness(corrupt.store);
    assert.equal(h.manager.start(llmStart("run-cut", corrupt.refs)).ok, true);
    const r = await h.resultOf("run-cut");
    assert.equal(r.status, "failed");
    assert.equal(r.error?.code, "MODEL_LOAD_FAILED");
    assert.match(r.error?.message ?? "", /not within the file bounds|corrupted or incomplete/);
  });

  test("an evaluation is refused: a synthetic model has no evaluation set", async () => {
    const h = harness(good.store);
    assert.equal(h.manager.start(llmStart("run-eval", good.refs, { kind: "evaluation" })).ok, true);
    const r = await h.resultOf("run-eval");
    assert.equal(r.status, "failed");
    assert.equal(r.error?.code, "NO_EVALUATION_SET");
  });

  test("without the runtime in reach, the start is refused RUNTIME_UNAVAILABLE", () => {
    const h = harness(good.store);
    process.env.LABFLEET_AGENT_RUNTIME_DIRS = join(dir, "nothing-here");
    try {
      const refused = h.manager.start(llmStart("run-none", good.refs));
      assert.equal(refused.ok ? null : refused.error.code, "RUNTIME_UNAVAILABLE");
    } finally {
      process.env.LABFLEET_AGENT_RUNTIME_DIRS = LLAMA_MODULES;
    }
  });
});
