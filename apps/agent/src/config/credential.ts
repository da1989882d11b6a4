import { type AgentConfigFile, readConfigFile, writeConfigFile } from "./config-file.ts";

/** What the connection needs to take a rotated secret: the current one, and a way to replace it durably. */
export interface CredentialHolder {
  readonly deviceId: string;
  readonly secret: string;
  /** Resolves once the new secret is on disk; from then on `secret` is the new one. */
  replaceSecret(secret: string): Promise<void>;
}

/**
 * The device secret as the running agent uses it (handshake, model downloads, run signatures), kept in step with
 * the config file. A rotation writes the file first (temp file + rename, mode 0600) and switches the secret in
 * memory only after that, so the agent never uses a secret that a restart would not find.
 */
export class ConfigFileCredential implements CredentialHolder {
  private config: AgentConfigFile;

  constructor(
    private readonly path: string,
    config: AgentConfigFile,
  ) {
    this.config = config;
  }

  get deviceId(): string {
    return this.config.deviceId;
  }

  get secret(): string {
    return this.config.deviceSecret;
  }

  async replaceSecret(secret: string): Promise<void> {
    // Settings edited in the file since the agent started are kept; only the secret changes.
    const onDisk = await readConfigFile(this.path).catch(() => this.config);
    const next: AgentConfigFile = Object.freeze({ ...onDisk, deviceId: this.config.deviceId, deviceSecret: secret });
    await writeConfigFile(this.path, next);
    this.config = next;
  }
}
