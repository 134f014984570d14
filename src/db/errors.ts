/** The database cannot be reached or refuses us: the command cannot go on, nothing was written. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** A write that would break a uniqueness rule (a name taken, a second active job ...). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/** The row the caller names does not exist. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

const UNAVAILABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ECONNRESET: 'connection reset',
  PROTOCOL_CONNECTION_LOST: 'connection lost',
  ER_ACCESS_DENIED_ERROR: 'access denied (check user and password)',
  ER_BAD_DB_ERROR: 'database does not exist',
  ER_DBACCESS_DENIED_ERROR: 'access to the database denied',
  ER_NOT_SUPPORTED_AUTH_MODE: 'authentication method not supported',
};

/** Turns a driver error from connecting into a DatabaseUnavailableError with a plain reason; others pass through. */
export function explainConnectError(err: unknown, where: string): unknown {
  const e = err as { code?: string; errno?: number; sqlMessage?: string; errors?: unknown[] };
  const inner = (e?.code === undefined && Array.isArray(e?.errors) ? e.errors[0] : e) as { code?: string; sqlMessage?: string };
  const code = inner?.code ?? '';
  const reason = UNAVAILABLE[code];
  if (!reason) return err;
  const detail = code.startsWith('ER_') && inner.sqlMessage ? `: ${inner.sqlMessage}` : '';
  return new DatabaseUnavailableError(`cannot connect to the database at ${where}: ${reason}${detail}`, code);
}

/** True for MySQL's duplicate-key error. */
export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  return e?.code === 'ER_DUP_ENTRY' || e?.driverError?.code === 'ER_DUP_ENTRY';
}
