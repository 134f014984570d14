/**
 * Browser consoles, gateway side: console tokens, the PVE VNC bridge, the guacamole-lite tunnel on /tunnel
 * and connection history. The only door into src/console.
 */
export { ConsoleTunnel, TUNNEL_PATH, type ConsoleTunnelOptions } from './tunnel.js';
export { ConsoleMetrics } from './metrics.js';
export { TUNNEL_WEBSOCKET_OPTIONS, TUNNEL_PER_MESSAGE_DEFLATE, TUNNEL_COMPRESSION_THRESHOLD, uncompressedBelow } from './tunnel-websocket.js';
export { batchedPerTick } from './instruction-batching.js';
export { ConsoleTokenService, type MintedToken } from './token-service.js';
export { HostKeyTrust, type HostKeyTrustDeps, type HostKeySession, type PreparedHostKey } from './host-key-trust.js';
export {
  guestCredentialsSchema,
  credentialsFor,
  CredentialsError,
  CREDENTIAL_LIMITS,
  MAX_CREDENTIALS_JSON,
  type GuestCredentials,
  type GuestCredentialsInput,
} from './guest-credentials.js';
export { ConsoleError, GuacStatus, type ConsoleErrorCode } from './errors.js';
export { mintConsoleToken, openConsoleToken, CONSOLE_KINDS, MAX_TOKEN_TTL_MS, MAX_TOKEN_LENGTH, type ConsoleKind, type ConsoleClaims } from './token.js';
export { VncBridge, BridgeState, type VncEndpoint, type VncUpstream, type BridgeEnd } from './vnc-bridge.js';
export { openPveVnc } from './pve-vnc.js';
export { sessionUserIdentifier, unsignSessionCookie, type SessionLookup } from './session-user.js';
