/**
 * Typed errors shared by every part of secret-sidecar.
 *
 * Every error carries a stable {@link ErrorCode} and keeps the original error as
 * `cause`. Foreign errors (AWS SDK, fetch, fs) are wrapped exactly once, at the
 * adapter that called them; our own errors pass through unchanged.
 */

/** Stable error codes. Clients and tests match on these, never on messages. */
export const ErrorCode = {
  /** Configuration failed validation (see {@link ConfigError}). */
  ConfigInvalid: 'CONFIG_INVALID',
  /** A request or event was malformed. */
  BadRequest: 'BAD_REQUEST',
  /** No credential was presented. */
  Unauthorized: 'UNAUTHORIZED',
  /** A credential was presented but is wrong or lacks a permission/scope. */
  Forbidden: 'FORBIDDEN',
  /** The secret, parameter or version does not exist. */
  NotFound: 'NOT_FOUND',
  /** The upstream service refused access (AccessDenied, KMS decrypt failure). */
  AccessDenied: 'ACCESS_DENIED',
  /** The upstream service throttled us. Transient. */
  Throttled: 'THROTTLED',
  /** The upstream call did not answer in time. Transient. */
  UpstreamTimeout: 'UPSTREAM_TIMEOUT',
  /** The upstream could not be reached or answered 5xx. Transient. */
  UpstreamUnavailable: 'UPSTREAM_UNAVAILABLE',
  /** The upstream rejected the request for a reason that will not go away. */
  UpstreamRejected: 'UPSTREAM_REJECTED',
  /** Too many concurrent requests. */
  TooManyRequests: 'TOO_MANY_REQUESTS',
  /** The caller went away before the answer was complete. */
  ClientClosed: 'CLIENT_CLOSED',
  /** A state conflict (e.g. a rotation already in progress). */
  Conflict: 'CONFLICT',
  /** Anything else. Never exposes details to clients. */
  Internal: 'INTERNAL',
} as const;

/** Union of every {@link ErrorCode} value. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes that describe a condition expected to clear by itself (retry or serve stale). */
export const TRANSIENT_CODES: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.Throttled,
  ErrorCode.UpstreamTimeout,
  ErrorCode.UpstreamUnavailable,
]);

/** Base class of every error secret-sidecar throws on purpose. */
export class SidecarError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** AWS-style error type for wire answers, e.g. `ResourceNotFoundException`. */
  readonly errorType: string;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions & { errorType?: string }) {
    super(message, options);
    this.name = 'SidecarError';
    this.code = code;
    this.errorType = options?.errorType ?? code;
  }

  /** True when the failure is expected to clear by itself. */
  get transient(): boolean {
    return TRANSIENT_CODES.has(this.code);
  }
}

/** One problem found while validating configuration. */
export interface ConfigIssue {
  /** The environment variable (or config key) at fault. */
  readonly variable: string;
  /** What is wrong and what is allowed, e.g. `must be an integer from 0 to 86400, got "abc"`. */
  readonly problem: string;
}

/** Raised once with every configuration problem found, never one at a time. */
export class ConfigError extends SidecarError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(
      ErrorCode.ConfigInvalid,
      `invalid configuration: ${issues.map((i) => `${i.variable} ${i.problem}`).join('; ')}`,
      { errorType: 'Extension.ConfigInvalid' },
    );
    this.name = 'ConfigError';
    this.issues = Object.freeze([...issues]);
  }
}

/** True if `err` is a {@link SidecarError} with one of the given codes. */
export function hasCode(err: unknown, ...codes: ErrorCode[]): err is SidecarError {
  return err instanceof SidecarError && codes.includes(err.code);
}

/** Returns a message for any thrown value without assuming it is an `Error`. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
