/**
 * EarCandle's guacd-compatible daemon: the only door into guacamole/.
 * `createGuacd()` builds the daemon (it listens on `start()`); the protocol pieces are exported for
 * tools and tests that speak the Guacamole protocol themselves.
 */
import type { GuacLogger } from './daemon/protocol-module.js';
import { defaultRegistry, type ProtocolRegistry } from './daemon/registry.js';
import type { SshProtocolOptions } from './protocols/ssh/client.js';
import { GuacdServer } from './daemon/server.js';

export interface GuacdOptions {
  /** Address to bind; 127.0.0.1 by default. */
  host?: string;
  /** TCP port; 4822 by default, 0 picks a free one. */
  port?: number;
  logger?: GuacLogger;
  /** The protocols offered; `defaultRegistry()` (vnc, ssh) unless given, e.g. to pass SSH host-key callbacks. */
  registry?: ProtocolRegistry;
  /** SSH options (first-use host-key decisions) when no `registry` is given. */
  ssh?: SshProtocolOptions;
}

export interface Guacd {
  /** Starts listening; resolves with the bound port. Calling it again returns the same result. */
  start(): Promise<{ port: number }>;
  /** Ends every session and stops listening. Harmless when repeated. */
  stop(): Promise<void>;
  /** User sessions that finished the handshake and are still open. */
  sessions(): number;
}

export function createGuacd(options: GuacdOptions = {}): Guacd {
  const registry = options.registry ?? (options.ssh ? registryWithSsh(options.ssh) : undefined);
  const server = new GuacdServer({ ...options, ...(registry ? { registry } : {}) });
  return {
    start: () => server.start(),
    stop: () => server.stop(),
    sessions: () => server.sessions(),
  };
}

export { Parser, parseInstructions, GuacParseError, type GuacParseErrorCode } from './protocol/parser.js';
export { encode, instruction, codePointLength } from './protocol/encoder.js';
export { GuacStatus } from './protocol/status.js';
export { vncAuthResponse } from './protocols/vnc/rfb/vnc-auth.js';
export type { Instruction, Opcode } from './protocol/instructions.js';
export type { GuacLogger } from './daemon/protocol-module.js';
export { ProtocolRegistry, defaultRegistry } from './daemon/registry.js';
export type { ProtocolModule } from './daemon/protocol-module.js';
export type { SshProtocolOptions } from './protocols/ssh/client.js';
export type { HostKeyInfo } from './protocols/ssh/host-key.js';
export type { GuacTerminal } from './terminal/terminal.js';

/** The default protocols, with SSH built from `ssh` (host-key callback …); loaded on first use like the rest. */
export function registryWithSsh(ssh: SshProtocolOptions): ProtocolRegistry {
  return defaultRegistry().register('ssh', async () => (await import('./protocols/ssh/client.js')).createSshProtocol(ssh));
}
