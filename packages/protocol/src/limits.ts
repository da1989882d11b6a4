/** Hard limits that both sides enforce. An event over `maxEventBytes` is answered PAYLOAD_TOO_LARGE. */
export const LIMITS = {
  /** Largest JSON payload of one socket event accepted by the server. */
  maxEventBytes: 256 * 1024,
  /** socket.io's own cap: above it the transport closes, so it sits well over maxEventBytes. */
  maxHttpBufferBytes: 1024 * 1024,
  /** Most telemetry samples in one `telemetry:report` batch (the offline buffer replays in batches). */
  maxSamplesPerBatch: 500,
  maxCores: 1024,
  maxHostnameLength: 253,
} as const;
