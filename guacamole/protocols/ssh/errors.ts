/**
 * SSH failures as errors with a stable `code` and the Guacamole status to end the connection with
 * (guacd's guac_client_abort). Messages name the host and the cause, never a secret.
 */
import { GuacStatus } from '../../protocol/status.js';

export type SshErrorCode =
  | 'SSH_BAD_SETTINGS'
  | 'SSH_AUTH_FAILED'
  | 'SSH_HOST_KEY_MISMATCH'
  | 'SSH_HOST_KEY_REFUSED'
  | 'SSH_UNREACHABLE'
  | 'SSH_TIMEOUT'
  | 'SSH_CHANNEL_FAILED'
  | 'SSH_UPSTREAM';

export class SshError extends Error {
  override readonly name = 'SshError';
  constructor(
    readonly code: SshErrorCode,
    readonly guacStatus: GuacStatus,
    message: string,
  ) {
    super(message);
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET']);

/** An ssh2 connection error → SshError. */
export function fromSsh2Error(err: Error & { level?: string; code?: string }, where: string): SshError {
  if (err.level === 'client-authentication') {
    return new SshError('SSH_AUTH_FAILED', GuacStatus.CLIENT_UNAUTHORIZED, `Authentication failed for ${where}: the username, password or key was not accepted`);
  }
  if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') {
    return new SshError('SSH_TIMEOUT', GuacStatus.UPSTREAM_TIMEOUT, `SSH server at ${where} did not answer in time`);
  }
  if (err.code && UNREACHABLE.has(err.code)) {
    return new SshError('SSH_UNREACHABLE', GuacStatus.UPSTREAM_NOT_FOUND, `Unable to connect to SSH server at ${where} (${err.code})`);
  }
  if (/privateKey|private key|passphrase/i.test(err.message)) {
    return new SshError('SSH_AUTH_FAILED', GuacStatus.CLIENT_UNAUTHORIZED, `Authentication failed for ${where}: the private key could not be read (wrong passphrase?)`);
  }
  return new SshError('SSH_UPSTREAM', GuacStatus.UPSTREAM_ERROR, `SSH connection to ${where} failed: ${err.message}`);
}
