/**
 * The one HTTP error class: a {@link SidecarError} with the status to answer, a
 * message written for the caller, and fields meant for the audit log only.
 *
 * The extension renders it as AWS's `{"__type","message"}`, the inference API as
 * `{"error":{"code","message"}}`; both take status, code and message from here.
 * Anything that is not a SidecarError becomes a bare 500 without details.
 */
import { ErrorCode, SidecarError } from './errors.ts';

/** Options of {@link HttpError}. */
export interface HttpErrorOptions {
  readonly cause?: unknown;
  /** AWS-style type for wire answers. @default the code */
  readonly errorType?: string;
  /** Seconds the caller should wait before retrying, when known. */
  readonly retryAfterSeconds?: number;
  /** Fields for the audit log only (upstream status and error type; never bodies). */
  readonly logFields?: Readonly<Record<string, unknown>>;
}

/** An error with an HTTP status and a message that is safe to send to the caller. */
export class HttpError extends SidecarError {
  /** HTTP status sent to the caller. */
  readonly status: number;
  /** Seconds the caller should wait before retrying, when known. */
  readonly retryAfterSeconds: number | undefined;
  /** Fields for the audit log only. */
  readonly logFields: Readonly<Record<string, unknown>>;

  constructor(status: number, code: ErrorCode, message: string, options: HttpErrorOptions = {}) {
    super(code, message, {
      cause: options.cause,
      ...(options.errorType === undefined ? {} : { errorType: options.errorType }),
    });
    this.name = 'HttpError';
    this.status = status;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.logFields = options.logFields ?? {};
  }
}

/** The status a {@link SidecarError} of each code answers with, unless it is an {@link HttpError}. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.ConfigInvalid]: 500,
  [ErrorCode.BadRequest]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.AccessDenied]: 403,
  [ErrorCode.Throttled]: 429,
  [ErrorCode.UpstreamTimeout]: 504,
  [ErrorCode.UpstreamUnavailable]: 502,
  [ErrorCode.UpstreamRejected]: 400,
  [ErrorCode.TooManyRequests]: 429,
  [ErrorCode.ClientClosed]: 499,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.Internal]: 500,
};

/**
 * Turns any thrown value into an {@link HttpError}. Configuration and internal
 * failures, and anything foreign, become a bare 500 "internal error" that keeps
 * the original only as `cause` (for the log, never for the caller).
 */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (
    !(err instanceof SidecarError) ||
    err.code === ErrorCode.Internal ||
    err.code === ErrorCode.ConfigInvalid
  ) {
    return new HttpError(500, ErrorCode.Internal, 'internal error', {
      cause: err,
      errorType: 'InternalFailure',
    });
  }
  return new HttpError(HTTP_STATUS[err.code], err.code, err.message, {
    cause: err,
    errorType: err.errorType,
  });
}

/** A 400 whose message names the bad input and what is allowed. */
export function badRequest(message: string, errorType = 'BadRequest'): HttpError {
  return new HttpError(400, ErrorCode.BadRequest, message, { errorType });
}
