import assert from "node:assert/strict";
import { test } from "node:test";
import { loadEnv } from "./env.ts";
import { AgentError } from "./errors.ts";

test("defaults, and a relative or empty XDG_CONFIG_HOME is ignored as the XDG spec says", () => {
  assert.deepEqual(
    { ...loadEnv({}) },
    {
      LABFLEET_AGENT_CONFIG: undefined,
      XDG_CONFIG_HOME: undefined,
      LABFLEET_LOG_LEVEL: "info",
      LABFLEET_AGENT_STATE_DIR: undefined,
    },
  );
  assert.equal(loadEnv({ XDG_CONFIG_HOME: "relative/dir" }).XDG_CONFIG_HOME, undefined);
  assert.equal(loadEnv({ XDG_CONFIG_HOME: "" }).XDG_CONFIG_HOME, undefined);
  assert.equal(loadEnv({ XDG_CONFIG_HOME: "/xdg" }).XDG_CONFIG_HOME, "/xdg");
  assert.ok(Object.isFrozen(loadEnv({})));
  assert.equal(
    loadEnv({ LABFLEET_AGENT_STATE_DIR: "/var/lib/labfleet" }).LABFLEET_AGENT_STATE_DIR,
    "/var/lib/labfleet",
  );
  assert.equal(loadEnv({ LABFLEET_AGENT_STATE_DIR: "" }).LABFLEET_AGENT_STATE_DIR, undefined);
});

test("a bad log level fails at boot with exit 2", () => {
  assert.throws(
    () => loadEnv({ LABFLEET_LOG_LEVEL: "loud" }),
    (e: unknown) => e instanceof AgentError && e.exitCode === 2 && /LABFLEET_LOG_LEVEL/.test(e.message),
  );
});
