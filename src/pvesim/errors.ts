/**
 * The errors a simulated PVE handler raises. `status` becomes the HTTP status, the first line of `message`
 * the reason phrase, and `errors` the per-parameter map of a 400 (PVE's `rest_handler` shape).
 */
export class PveError extends Error {
  override readonly name = 'PveError';
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
    readonly code: string = codeFor(status),
  ) {
    super(message);
  }
}

function codeFor(status: number): string {
  switch (status) {
    case 400:
      return 'PVE_BAD_PARAMETER';
    case 401:
      return 'PVE_UNAUTHORIZED';
    case 403:
      return 'PVE_FORBIDDEN';
    case 501:
      return 'PVE_NOT_IMPLEMENTED';
    default:
      return 'PVE_ERROR';
  }
}

/** 400 "Parameter verification failed." with the map of offending parameters. */
export function paramError(errors: Record<string, string>): PveError {
  return new PveError(400, 'Parameter verification failed.', errors);
}

/** 403 as `PVE::RPCEnvironment::check` raises it. */
export function permError(path: string, priv: string): PveError {
  return new PveError(403, `Permission check failed (${path}, ${priv})`);
}

/** 401 with a plain-text body (sent after the configured delay). */
export function authError(reason = 'Authentication failed!'): PveError {
  return new PveError(401, reason);
}
