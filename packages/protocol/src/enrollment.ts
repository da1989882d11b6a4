import { z } from "zod";
import { LIMITS } from "./limits.ts";

/** Path of the HTTP endpoint where an agent exchanges an enrollment token for a device identity. */
export const ENROLL_PATH = "/api/agent/enroll";

/** Public paths of the one-line installer: `curl -fsSL <server>/install/agent.sh | sudo sh -s -- --token T`. */
export const INSTALL_PATHS = {
  script: "/install/agent.sh",
  /** The agent's npm tarball (no dependencies to fetch); its ETag is the quoted sha256 of its bytes. */
  agentTarball: "/install/labfleet-agent.tgz",
} as const;

export const enrollRequestSchema = z.object({
  token: z.string().min(8).max(128),
  hostname: z.string().min(1).max(LIMITS.maxHostnameLength),
  protocolVersion: z.number().int().min(0),
  agentVersion: z.string().min(1).max(64),
});
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

/** The device secret is shown once, here; the server keeps only its hash. */
export const enrollResponseSchema = z.object({
  deviceId: z.string().min(1).max(64),
  deviceSecret: z.string().min(32).max(256),
  name: z.string(),
});
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;
