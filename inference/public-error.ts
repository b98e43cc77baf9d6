/**
 * Errors whose message is safe to send to a caller of the inference API.
 * Anything else that escapes a handler becomes a bare 500 "internal error".
 */
import { ErrorCode, SidecarError } from '../shared/errors.ts';

/** A {@link SidecarError} with an HTTP status and a message written for clients. */
export class PublicError extends SidecarError {
  /** HTTP status sent to the caller. */
  readonly status: number;
  /** Seconds the caller should wait before retrying, when known. */
  readonly retryAfterSeconds: number | undefined;
  /** Fields for the audit log only (upstream status and error type; never bodies). */
  readonly logFields: Readonly<Record<string, unknown>>;

  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    options?: {
      cause?: unknown;
      retryAfterSeconds?: number;
      logFields?: Record<string, unknown>;
    },
  ) {
    super(code, message, { cause: options?.cause });
    this.name = 'PublicError';
    this.status = status;
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.logFields = options?.logFields ?? {};
  }
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
  readonly requestId?: string;
}

/** Turns any thrown value into something safe to send. */
export function toPublic(err: unknown): PublicError {
  if (err instanceof PublicError) return err;
  return new PublicError(500, ErrorCode.Internal, 'internal error', { cause: err });
}

/** Shorthand for a 400 with a message that names the input and what is allowed. */
export function badRequest(message: string): PublicError {
  return new PublicError(400, ErrorCode.BadRequest, message);
}
