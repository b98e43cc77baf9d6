/**
 * How failures are answered over HTTP: a status and an AWS-style body
 * `{"__type": "...", "message": "..."}`. Bodies carry our own messages only,
 * never a stack, an upstream message or a secret.
 */
import { ErrorCode, SidecarError } from '../shared/errors.ts';

/** A failure ready to send. */
export interface HttpFailure {
  readonly status: number;
  readonly body: { readonly __type: string; readonly message?: string };
  readonly headers?: Readonly<Record<string, string>>;
}

const STATUS: Record<ErrorCode, number> = {
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
  [ErrorCode.Conflict]: 409,
  [ErrorCode.Internal]: 500,
};

/** A request-level failure whose HTTP status is not implied by its code (e.g. 405). */
export class HttpRequestError extends SidecarError {
  readonly status: number;

  constructor(status: number, code: ErrorCode, message: string, errorType: string) {
    super(code, message, { errorType });
    this.name = 'HttpRequestError';
    this.status = status;
  }
}

/** Maps any thrown value to an {@link HttpFailure}. Unknown errors become a bare 500. */
export function toHttpFailure(err: unknown): HttpFailure {
  if (!(err instanceof SidecarError) || err.code === ErrorCode.Internal) {
    return { status: 500, body: { __type: 'InternalFailure' } };
  }
  if (err.code === ErrorCode.ConfigInvalid) {
    return { status: 500, body: { __type: 'InternalFailure' } };
  }
  const status = err instanceof HttpRequestError ? err.status : STATUS[err.code];
  const retry = status === 429 || status === 502 || status === 504;
  return {
    status,
    body: { __type: err.errorType, message: err.message },
    ...(retry ? { headers: { 'retry-after': '1' } } : {}),
  };
}

/** A 400 naming the bad input. */
export function badRequest(message: string): SidecarError {
  return new HttpRequestError(400, ErrorCode.BadRequest, message, 'BadRequest');
}

/** A 405 for anything but GET. */
export function methodNotAllowed(method: string | undefined): SidecarError {
  return new HttpRequestError(
    405,
    ErrorCode.BadRequest,
    `method ${String(method).slice(0, 20)} is not allowed; use GET`,
    'MethodNotAllowed',
  );
}
