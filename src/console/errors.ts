/**
 * Why a console could not be opened. Each error carries a stable `code`, the Guacamole status the tunnel
 * closes with (guacd-protocol.md §3) and a sentence the console page may show as it is. Messages never
 * contain tokens, tickets or passwords.
 */

import { GuacStatus } from '../../guacamole/index.js';

export { GuacStatus };

export type ConsoleErrorCode =
  | 'TOKEN_MALFORMED'
  | 'TOKEN_TAMPERED'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_REPLAYED'
  | 'TOKEN_WRONG_USER'
  | 'ACCESS_REVOKED'
  | 'VM_GONE'
  | 'VM_OFF'
  | 'NO_CONNECTION'
  | 'NO_ADDRESS'
  | 'CREDENTIALS_INVALID'
  | 'UPSTREAM_REFUSED'
  | 'UPSTREAM_UNREACHABLE'
  | 'BRIDGE_FAILED';

const STATUS: Record<ConsoleErrorCode, GuacStatus> = {
  TOKEN_MALFORMED: GuacStatus.CLIENT_UNAUTHORIZED,
  TOKEN_TAMPERED: GuacStatus.CLIENT_UNAUTHORIZED,
  TOKEN_EXPIRED: GuacStatus.CLIENT_TIMEOUT,
  TOKEN_REPLAYED: GuacStatus.CLIENT_UNAUTHORIZED,
  TOKEN_WRONG_USER: GuacStatus.CLIENT_FORBIDDEN,
  ACCESS_REVOKED: GuacStatus.CLIENT_FORBIDDEN,
  VM_GONE: GuacStatus.RESOURCE_NOT_FOUND,
  VM_OFF: GuacStatus.UPSTREAM_NOT_FOUND,
  NO_CONNECTION: GuacStatus.RESOURCE_NOT_FOUND,
  NO_ADDRESS: GuacStatus.UPSTREAM_NOT_FOUND,
  CREDENTIALS_INVALID: GuacStatus.CLIENT_BAD_REQUEST,
  UPSTREAM_REFUSED: GuacStatus.UPSTREAM_ERROR,
  UPSTREAM_UNREACHABLE: GuacStatus.UPSTREAM_UNAVAILABLE,
  BRIDGE_FAILED: GuacStatus.SERVER_ERROR,
};

const MESSAGE: Record<ConsoleErrorCode, string> = {
  TOKEN_MALFORMED: 'The console link is not valid.',
  TOKEN_TAMPERED: 'The console link is not valid.',
  TOKEN_EXPIRED: 'The console link has expired.',
  TOKEN_REPLAYED: 'The console link was already used.',
  TOKEN_WRONG_USER: 'This console link belongs to someone else.',
  ACCESS_REVOKED: 'You no longer have access to this machine.',
  VM_GONE: 'This machine no longer exists.',
  VM_OFF: 'This machine is off.',
  NO_CONNECTION: 'This machine has no console yet.',
  NO_ADDRESS: 'This machine has no network address yet. Start it and wait until it is up, then try again.',
  CREDENTIALS_INVALID: 'The user name or password is not usable.',
  UPSTREAM_REFUSED: 'The console could not be reached.',
  UPSTREAM_UNREACHABLE: 'The console could not be reached.',
  BRIDGE_FAILED: 'The console could not be reached.',
};

export class ConsoleError extends Error {
  override readonly name = 'ConsoleError';
  readonly code: ConsoleErrorCode;
  /** The Guacamole status the tunnel closes with. */
  readonly status: GuacStatus;
  /** What the page shows. */
  readonly userMessage: string;
  /** The detail given, if any (never a secret). */
  readonly detail: string | undefined;

  /** `detail` goes to the audit log and the server log; it must not contain a secret. */
  constructor(code: ConsoleErrorCode, detail?: string) {
    super(detail ? `${MESSAGE[code]} (${detail})` : MESSAGE[code]);
    this.code = code;
    this.status = STATUS[code];
    this.userMessage = MESSAGE[code];
    this.detail = detail;
  }
}
