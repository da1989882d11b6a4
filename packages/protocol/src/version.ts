/**
 * The version of the agent <-> server and dashboard <-> server wire protocol.
 * Bump it on any change that an older peer cannot parse; the server refuses
 * a handshake whose version differs and names both versions.
 */
export const PROTOCOL_VERSION = 1;
