/** The error family the HTTP layer knows how to answer. Anything else is a 500. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, field?: string) {
    super(400, 'bad_request', message, field);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'missing or wrong bearer token') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(404, 'not_found', message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, field?: string) {
    super(409, 'conflict', message, field);
  }
}

const REFUSED_BY_PARSER: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'bad_request', 'body: malformed'],
  'entity.too.large': [413, 'too_large', 'body: too large'],
  'parameters.too.many': [413, 'too_large', 'body: too many parameters'],
  'charset.unsupported': [415, 'unsupported_media_type', 'body: unsupported charset'],
  'encoding.unsupported': [415, 'unsupported_media_type', 'body: unsupported content encoding'],
};

/**
 * A request refused before any handler ran, as the AppError it is: the body parser's (bad
 * syntax, too large, an unsupported charset or content encoding, a body that will not inflate)
 * and the router's (a path parameter that is not valid percent-encoding). These are the
 * client's fault, so a 4xx, never a 500; the messages are ours and never echo the input.
 */
export function requestErrorOf(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const e = err as { status?: unknown; type?: unknown } | null;
  if (!e || typeof e.status !== 'number' || e.status < 400 || e.status > 499) return undefined;
  if (err instanceof URIError) return new BadRequestError('path: not valid percent-encoding');
  const known = typeof e.type === 'string' ? REFUSED_BY_PARSER[e.type] : undefined;
  if (known) return new AppError(...known);
  return new AppError(e.status, 'bad_request', 'request: malformed');
}
