/**
 * Exit codes of `labfleet-agent`. Service managers and scripts switch on these, so they are part of the
 * agent's interface: never renumber one, only add.
 */
export const EXIT = {
  /** Done, or stopped by SIGINT/SIGTERM. */
  OK: 0,
  /** A bug or an error nobody planned for. */
  UNEXPECTED: 1,
  /** Bad command line or environment. */
  USAGE: 2,
  /** The server refused the enrollment token: unknown, expired, revoked or used up. */
  ENROLL_REFUSED: 3,
  /** The server could not be reached, or answered something that is not a LabFleet answer. */
  SERVER_UNREACHABLE: 4,
  /** The server refused this device's credential, or the device was revoked. Enroll again. */
  CREDENTIAL_REFUSED: 5,
  /** The server speaks another protocol version. Install the agent that matches the server. */
  PROTOCOL_MISMATCH: 6,
  /** The config file is missing, unreadable or corrupt. */
  CONFIG_INVALID: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** One line per code, for `--help`. */
export const EXIT_CODE_HELP: ReadonlyArray<readonly [ExitCode, string]> = [
  [EXIT.OK, "ok (or stopped by SIGINT/SIGTERM)"],
  [EXIT.UNEXPECTED, "unexpected error"],
  [EXIT.USAGE, "usage: bad command, flag or environment variable"],
  [EXIT.ENROLL_REFUSED, "enrollment refused: token unknown, expired, revoked or used up"],
  [EXIT.SERVER_UNREACHABLE, "server unreachable or its answer was not understood"],
  [EXIT.CREDENTIAL_REFUSED, "device credential refused or device revoked: enroll again"],
  [EXIT.PROTOCOL_MISMATCH, "protocol version mismatch between agent and server"],
  [EXIT.CONFIG_INVALID, "config file missing, unreadable or corrupt"],
];
