import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AgentError } from "../errors.ts";
import { parseCli, parseServerUrl } from "./args.ts";

function usage(argv: string[]): string {
  try {
    parseCli(argv);
  } catch (e) {
    assert.ok(e instanceof AgentError);
    assert.equal(e.exitCode, 2);
    return e.message;
  }
  assert.fail(`expected ${argv.join(" ")} to be refused`);
}

describe("parseCli", () => {
  test("the command may come after --config", () => {
    assert.deepEqual(parseCli(["--config", "/tmp/a.json", "status", "--json"]), {
      command: "status",
      config: "/tmp/a.json",
      stateDir: undefined,
      json: true,
    });
  });

  test("run, status and doctor take --state-dir", () => {
    assert.deepEqual(parseCli(["run", "--state-dir", "/var/lib/labfleet"]), {
      command: "run",
      config: undefined,
      stateDir: "/var/lib/labfleet",
    });
    assert.deepEqual(parseCli(["doctor", "--json", "--state-dir", "/s"]), {
      command: "doctor",
      config: undefined,
      stateDir: "/s",
      json: true,
    });
    assert.throws(() => parseCli(["doctor", "--state-dir", ""]), /--state-dir needs a path/);
    assert.throws(() => parseCli(["version", "--state-dir", "/s"]), /state-dir/);
  });

  test("enroll normalizes the server URL and trims the token and name", () => {
    assert.deepEqual(
      parseCli([
        "enroll",
        "--server",
        "https://LabFleet.example.org/",
        "--token",
        " lfe_abcdefgh ",
        "--name",
        " PC 07 ",
      ]),
      {
        command: "enroll",
        config: undefined,
        serverUrl: "https://labfleet.example.org",
        token: "lfe_abcdefgh",
        name: "PC 07",
        force: false,
      },
    );
  });

  test("help, globally and per command", () => {
    assert.deepEqual(parseCli(["--help"]), { command: "help", topic: null });
    assert.deepEqual(parseCli(["enroll", "-h"]), { command: "help", topic: "enroll" });
  });

  test("misuse is refused with a message that names the problem", () => {
    assert.match(usage([]), /Missing command/);
    assert.match(usage(["start"]), /Unknown command "start"/);
    assert.match(usage(["status", "--verbose"]), /--verbose/);
    assert.match(usage(["version", "--token", "abcdefgh"]), /--token/); // a flag of another command
    assert.match(usage(["run", "now"]), /now/); // extra positional
    assert.match(usage(["enroll", "--token", "abcdefgh12"]), /--server/);
    assert.match(usage(["enroll", "--server", "http://x"]), /--token/);
    assert.match(usage(["enroll", "--server", "--token", "abcdefgh12"]), /--server/); // missing value
    assert.match(usage(["enroll", "--server", "http://x", "--token", "short"]), /8 to 128/);
    assert.match(usage(["enroll", "--server", "http://x", "--token", "abcdefgh12", "--name", ""]), /--name/);
    assert.match(usage(["enroll", "--server", "http://x", "--token", "abcdefgh12", "--name", "a\u0007b"]), /--name/);
    assert.match(usage(["status", "--config", ""]), /--config/);
    assert.match(usage(["status", "--json=yes"]), /--json/);
  });
});

describe("parseServerUrl", () => {
  test("accepts an http(s) origin", () => {
    assert.equal(parseServerUrl("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
    assert.equal(parseServerUrl("https://labfleet.example.org:443/"), "https://labfleet.example.org");
  });
  test("refuses anything else", () => {
    for (const bad of [
      "labfleet.example.org",
      "ftp://x",
      "https://u:p@x",
      "https://x/labfleet",
      "https://x/?a=1",
      "https://x/#f",
      "ws://x",
    ]) {
      assert.throws(() => parseServerUrl(bad), AgentError, bad);
    }
  });
});
