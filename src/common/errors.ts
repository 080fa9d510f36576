/**
 * Every error the engine can report, declared once, with a stable code and the HTTP status
 * Docker uses for it (moby daemon/server/httpstatus). Handlers throw these; one function in
 * api/server maps them to `{"message": …}` responses. Document new ones in docs/errors.md.
 */
export class WharfError extends Error {
  readonly code: string = 'WHARF_INTERNAL';
  readonly status: number = 500;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 400: the request is malformed or asks for something invalid. */
export class InvalidArgumentError extends WharfError {
  override readonly code = 'WHARF_INVALID_ARGUMENT';
  override readonly status = 400;
}

/** 400: a tar stream a client sent (build context, archive PUT, import) is not a valid tar. */
export class InvalidArchiveError extends InvalidArgumentError {}

/** 401: credentials missing or wrong (registry login). */
export class UnauthorizedError extends WharfError {
  override readonly code = 'WHARF_UNAUTHORIZED';
  override readonly status = 401;
}

/** 403 */
export class ForbiddenError extends WharfError {
  override readonly code = 'WHARF_FORBIDDEN';
  override readonly status = 403;
}

/** 404: no such container / image / volume / network / route. */
export class NotFoundError extends WharfError {
  override readonly code = 'WHARF_NOT_FOUND';
  override readonly status = 404;
}

/** 409: the object is in a state that forbids the action (in use, running, name taken). */
export class ConflictError extends WharfError {
  override readonly code = 'WHARF_CONFLICT';
  override readonly status = 409;
}

/** 304: the action is already done (start of a running container). Empty body. */
export class NotModifiedError extends WharfError {
  override readonly code = 'WHARF_NOT_MODIFIED';
  override readonly status = 304;
}

/** 413: request body over the cap. */
export class PayloadTooLargeError extends WharfError {
  override readonly code = 'WHARF_PAYLOAD_TOO_LARGE';
  override readonly status = 413;
}

/** 501 */
export class NotImplementedError extends WharfError {
  override readonly code = 'WHARF_NOT_IMPLEMENTED';
  override readonly status = 501;
}

/** 503: a dependency (runtime, registry) is unavailable. */
export class UnavailableError extends WharfError {
  override readonly code = 'WHARF_UNAVAILABLE';
  override readonly status = 503;
}

/** 500 raised on purpose: a system call or subprocess failed. */
export class SystemError extends WharfError {
  override readonly code = 'WHARF_SYSTEM';
  override readonly status = 500;
}

/** HTTP status for any thrown value: our classes carry it, anything else is a 500. */
export function statusOf(err: unknown): number {
  return err instanceof WharfError ? err.status : 500;
}

/** A write failed because the disk (or the metadata database on it) is full. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'SQLITE_FULL' || code === 'EDQUOT';
}

export function messageOf(err: unknown): string {
  // SQLite's "database or disk is full" does not say which: a full database file is the disk.
  if (err instanceof Error && (err as { code?: unknown }).code === 'SQLITE_FULL') return `${err.message}: no space left on device`;
  if (err instanceof Error) return err.message;
  return String(err);
}
