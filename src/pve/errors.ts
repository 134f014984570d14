/**
 * Typed failures of the Proxmox adapter. Unreachable (network, TLS, timeout) is never "not found": callers
 * that reconcile state must treat it as "unknown" and change nothing.
 */
export type PveErrorCode = 'PVE_HTTP' | 'PVE_UNREACHABLE' | 'PVE_AUTH' | 'PVE_PERMISSION' | 'PVE_TASK_FAILED' | 'PVE_TASK_TIMEOUT' | 'PVE_BAD_RESPONSE';

export abstract class PveError extends Error {
  abstract readonly code: PveErrorCode;
}

/** PVE answered with a non-200 status. `fieldErrors` is PVE's `errors` map (parameter → message), if any. */
export class PveHttpError extends PveError {
  override readonly name: string = 'PveHttpError';
  readonly code: PveErrorCode = 'PVE_HTTP';
  constructor(
    readonly status: number,
    message: string,
    readonly fieldErrors: Readonly<Record<string, string>> = {},
    readonly method = 'GET',
    readonly path = '',
  ) {
    super(message);
  }
}

/** 401: the token is wrong, expired or disabled. */
export class PveAuthError extends PveHttpError {
  override readonly name = 'PveAuthError';
  override readonly code = 'PVE_AUTH';
}

/** 403: the token lacks a privilege. */
export class PvePermissionError extends PveHttpError {
  override readonly name = 'PvePermissionError';
  override readonly code = 'PVE_PERMISSION';
}

/** The request never got an HTTP answer: refused, reset, DNS, TLS (e.g. the pinned CA does not match) or timeout. */
export class PveUnreachableError extends PveError {
  override readonly name = 'PveUnreachableError';
  readonly code = 'PVE_UNREACHABLE';
  constructor(
    message: string,
    readonly reason: 'network' | 'tls' | 'timeout',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** PVE answered 200 with something we cannot use. */
export class PveBadResponseError extends PveError {
  override readonly name = 'PveBadResponseError';
  readonly code = 'PVE_BAD_RESPONSE';
}

/** A task ended with an exit status other than OK / WARNINGS. */
export class PveTaskFailedError extends PveError {
  override readonly name = 'PveTaskFailedError';
  readonly code = 'PVE_TASK_FAILED';
  constructor(
    readonly upid: string,
    readonly exitstatus: string,
  ) {
    super(`task ${upid} failed: ${exitstatus}`);
  }
}

/** waitForTask gave up; the task may still be running on the node. */
export class PveTaskTimeoutError extends PveError {
  override readonly name = 'PveTaskTimeoutError';
  readonly code = 'PVE_TASK_TIMEOUT';
  constructor(readonly upid: string, timeoutMs: number) {
    super(`task ${upid} still running after ${timeoutMs} ms`);
  }
}

/** The typed error for an HTTP status and PVE's body (JSON `{data, errors, message}` or plain text). */
export function httpError(status: number, reason: string, body: string, method: string, path: string): PveHttpError {
  let fieldErrors: Record<string, string> = {};
  let message = reason;
  try {
    const parsed = JSON.parse(body) as { errors?: unknown; message?: unknown };
    if (parsed && typeof parsed.errors === 'object' && parsed.errors !== null) {
      fieldErrors = Object.fromEntries(Object.entries(parsed.errors as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    }
    if (typeof parsed.message === 'string' && parsed.message.trim() !== '') message = parsed.message.trim();
  } catch {
    if (!message && body.trim()) message = body.trim().split('\n')[0] as string;
  }
  const fields = Object.entries(fieldErrors).map(([k, v]) => `${k}: ${v}`);
  const text = `${method} ${path}: ${status} ${message || 'error'}${fields.length ? ` (${fields.join('; ')})` : ''}`;
  if (status === 401) return new PveAuthError(status, text, fieldErrors, method, path);
  if (status === 403) return new PvePermissionError(status, text, fieldErrors, method, path);
  return new PveHttpError(status, text, fieldErrors, method, path);
}

/** One line for a person: what failed talking to PVE, without secrets or stack. */
export function describePveError(err: unknown): string {
  if (err instanceof PveAuthError) return `PVE refused the API token (401): check the token id and secret`;
  if (err instanceof PvePermissionError) return `PVE denied a privilege (403): ${err.message}`;
  if (err instanceof PveUnreachableError) return `PVE unreachable: ${err.message}`;
  if (err instanceof Error) return err.message.split('\n')[0] as string;
  return String(err);
}
