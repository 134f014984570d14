/**
 * One class per kind of HTTP failure, each with its status and a stable code; the message is shown to the
 * person (page or JSON), so it is plain words and never contains secrets. One error middleware (app.ts) turns
 * them into a page or a JSON body.
 */
export abstract class HttpError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;

  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export class BadRequestError extends HttpError {
  override readonly name = 'BadRequestError';
  readonly status = 400;
  readonly code = 'BAD_REQUEST';
}

export class UnauthorizedError extends HttpError {
  override readonly name = 'UnauthorizedError';
  readonly status = 401;
  readonly code = 'UNAUTHORIZED';
  constructor(message = 'Please log in first.') {
    super(message);
  }
}

export class ForbiddenError extends HttpError {
  override readonly name: string = 'ForbiddenError';
  readonly status = 403;
  readonly code: string = 'FORBIDDEN';
  constructor(message = 'You are not allowed to do this.') {
    super(message);
  }
}

/** The CSRF token is missing or wrong. */
export class CsrfError extends ForbiddenError {
  override readonly name = 'CsrfError';
  override readonly code = 'CSRF';
  constructor() {
    super('This form has expired or was sent from another site. Reload the page and try again.');
  }
}

export class NotFoundError extends HttpError {
  override readonly name = 'NotFoundError';
  readonly status = 404;
  readonly code = 'NOT_FOUND';
  constructor(message = 'There is nothing here.') {
    super(message);
  }
}

export class ConflictError extends HttpError {
  override readonly name = 'ConflictError';
  readonly status = 409;
  readonly code = 'CONFLICT';
}

export class PayloadTooLargeError extends HttpError {
  override readonly name = 'PayloadTooLargeError';
  readonly status = 413;
  readonly code = 'PAYLOAD_TOO_LARGE';
  constructor(message = 'What you sent is too large.') {
    super(message);
  }
}

export class TooManyRequestsError extends HttpError {
  override readonly name = 'TooManyRequestsError';
  readonly status = 429;
  readonly code = 'TOO_MANY_REQUESTS';
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message);
  }
}

export class ServiceUnavailableError extends HttpError {
  override readonly name = 'ServiceUnavailableError';
  readonly status = 503;
  readonly code = 'UNAVAILABLE';
}
