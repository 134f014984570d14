/**
 * RfbClientError: the one Error subclass of the RFB client. `code` is the stable contract code,
 * `guacStatus` the Guacamole status to report, `detail` a stable sub-code for protocol errors.
 */
import { GuacStatus } from '../../../protocol/status.js';
import type { RfbError } from './rfb-client-types.js';

export type RfbErrorCode = RfbError['code'];

/** Stable sub-codes, mostly for RFB_PROTOCOL_ERROR raised by the parser. */
export type RfbErrorDetail =
  | 'UNKNOWN_MESSAGE_TYPE'
  | 'UNSUPPORTED_ENCODING'
  | 'BAD_SUBENCODING'
  | 'ZLIB_ERROR'
  | 'RECT_OUT_OF_BOUNDS'
  | 'TOO_LARGE'
  | 'BAD_PIXEL_FORMAT'
  | 'BAD_HANDSHAKE'
  | 'SERVER_REFUSED';

/** Guacamole status per code (guacd-protocol.md §3). */
export const RFB_ERROR_STATUS: Readonly<Record<RfbErrorCode, GuacStatus>> = {
  RFB_CONNECT_FAILED: GuacStatus.UPSTREAM_NOT_FOUND,
  RFB_BAD_VERSION: GuacStatus.UPSTREAM_ERROR,
  RFB_NO_SECURITY_TYPE: GuacStatus.UPSTREAM_ERROR,
  RFB_AUTH_FAILED: GuacStatus.CLIENT_UNAUTHORIZED,
  RFB_PASSWORD_REQUIRED: GuacStatus.CLIENT_UNAUTHORIZED,
  RFB_PROTOCOL_ERROR: GuacStatus.UPSTREAM_ERROR,
  RFB_CLOSED: GuacStatus.UPSTREAM_ERROR,
  RFB_TIMEOUT: GuacStatus.UPSTREAM_TIMEOUT,
};

export class RfbClientError extends Error implements RfbError {
  readonly code: RfbErrorCode;
  readonly guacStatus: GuacStatus;
  readonly detail: RfbErrorDetail | undefined;

  constructor(code: RfbErrorCode, message: string, options: { detail?: RfbErrorDetail; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RfbClientError';
    this.code = code;
    this.guacStatus = RFB_ERROR_STATUS[code];
    this.detail = options.detail;
  }
}

/** A parser failure: always RFB_PROTOCOL_ERROR with a stable detail. */
export function protocolError(detail: RfbErrorDetail, message: string, cause?: unknown): RfbClientError {
  return new RfbClientError('RFB_PROTOCOL_ERROR', message, cause === undefined ? { detail } : { detail, cause });
}
