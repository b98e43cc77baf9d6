/**
 * The client's errors, named as in Powertools Parameters so code that catches
 * `GetParameterError` / `TransformParameterError` keeps working after the import
 * changes. Both are {@link SidecarError}s with a stable `code`.
 *
 * This is the one place where the transport's foreign errors and the extension's
 * answers are mapped. An error never carries a response body: only the status and
 * the extension's error type, when it is a plain identifier (a body can echo a token).
 */
import { ErrorCode, SidecarError } from '../../shared/errors.ts';

/** Options of {@link GetParameterError}. */
export interface GetParameterErrorOptions extends ErrorOptions {
  /** The extension's error type (`ResourceNotFoundException`, ...), or our own. */
  readonly errorType?: string;
  /** HTTP status the extension answered, when it answered. */
  readonly status?: number;
}

/** A secret or parameter could not be read. `code` says why. */
export class GetParameterError extends SidecarError {
  /** HTTP status the extension answered, when it answered. */
  readonly status: number | undefined;

  constructor(code: ErrorCode, message: string, options: GetParameterErrorOptions = {}) {
    super(code, message, options);
    this.name = 'GetParameterError';
    this.status = options.status;
  }
}

/** A value was read but could not be transformed (`transform: 'json' | 'binary'`). */
export class TransformParameterError extends SidecarError {
  /** The transform that failed. */
  readonly transform: string;

  constructor(transform: string, message: string) {
    super(
      ErrorCode.BadRequest,
      `unable to transform value using '${transform}' transform: ${message}`,
      {
        errorType: 'TransformParameterError',
      },
    );
    this.name = 'TransformParameterError';
    this.transform = transform;
  }
}

/** Socket error codes that mean "nobody is listening yet" (the extension is still starting). */
export const STARTING_UP_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOENT']);

/** Socket error codes that mean "a kept connection died", typically across a freeze. */
export const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** The socket-level code of a Node network error, if any. */
export function socketCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const STATUS_CODE: Readonly<Record<number, ErrorCode>> = {
  400: ErrorCode.BadRequest,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  429: ErrorCode.TooManyRequests,
  502: ErrorCode.UpstreamUnavailable,
  503: ErrorCode.UpstreamUnavailable,
  504: ErrorCode.UpstreamTimeout,
};

/** AWS error types meaning "no such secret, parameter or version", whatever the status. */
const NOT_FOUND_TYPES: ReadonlySet<string> = new Set([
  'ResourceNotFoundException',
  'ParameterNotFound',
  'ParameterVersionNotFound',
]);

/** Error types the extension uses for AWS refusing access (answered as 403). */
const ACCESS_DENIED_TYPES =
  /AccessDenied|Decryption|KMS|InvalidKeyId|Unrecognized|ExpiredToken|Signature|MissingCredentials/;

/**
 * Turns a non-200 answer of the extension into a typed error.
 *
 * @param status - HTTP status from the extension.
 * @param body - Raw response body; only its `__type`, when an identifier, is used.
 * @param what - What was asked for, e.g. `secret "prod/openai"`.
 */
export function errorFromStatus(status: number, body: string, what: string): GetParameterError {
  const type = errorTypeOf(body);
  let code = STATUS_CODE[status] ?? ErrorCode.Internal;
  // AWS's own extension answers a missing secret with 400 and AWS's error type.
  if (type !== undefined && NOT_FOUND_TYPES.has(type)) code = ErrorCode.NotFound;
  if (status === 403 && type !== undefined && ACCESS_DENIED_TYPES.test(type)) {
    code = ErrorCode.AccessDenied;
  }
  const detail =
    status === 401
      ? ': the session token was missing'
      : status === 403 && code === ErrorCode.Forbidden
        ? ': the session token was rejected'
        : '';
  return new GetParameterError(
    code,
    `secret-sidecar answered ${status}${type ? ` ${type}` : ''} for ${what}${detail}`,
    { errorType: type ?? `HTTP${status}`, status },
  );
}

/** The body's `__type` when it is a short identifier, else undefined. */
function errorTypeOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const type = (parsed as { __type?: unknown } | null)?.__type;
    return typeof type === 'string' && /^[A-Za-z][A-Za-z0-9.]{0,63}$/.test(type) ? type : undefined;
  } catch {
    return undefined;
  }
}
