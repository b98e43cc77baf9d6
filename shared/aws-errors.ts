/**
 * The one mapping of AWS SDK v3 failures to {@link SidecarError} codes, used by every
 * adapter that calls AWS (the extension's sources, the rotation function's store, KMS).
 *
 * The AWS error name (e.g. `ResourceNotFoundException`) is kept as `errorType`, so HTTP
 * answers can use AWS's own error types. Messages are ours, never AWS's: AWS's text stays
 * reachable as `cause` for logs, and never reaches a client.
 */
import { ErrorCode, SidecarError } from './errors.ts';

/** Which AWS service failed, used in messages. */
export type UpstreamService = 'Secrets Manager' | 'Parameter Store' | 'KMS' | 'Lambda';

/** What was being done, for the message: `Secrets Manager PutSecretValue for "arn:..."`. */
export interface AwsCallContext {
  readonly service: UpstreamService;
  /** The SDK operation, e.g. `GetSecretValue`. */
  readonly operation?: string;
  /** The secret id, parameter name or key the call was about. */
  readonly subject?: string;
}

const NOT_FOUND = new Set([
  'ResourceNotFoundException',
  'ParameterNotFound',
  'ParameterVersionNotFound',
]);

const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'DecryptionFailure',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'InvalidKeyId',
  'DisabledException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'IncompleteSignature',
  'CredentialsProviderError',
]);

const CONFLICT = new Set(['ResourceExistsException', 'PreconditionNotMetException']);

const REJECTED = new Set([
  'InvalidRequestException',
  'InvalidParameterException',
  'InvalidParameterValueException',
  'InvalidNextTokenException',
  'ValidationException',
  'LimitExceededException',
  'MalformedPolicyDocumentException',
  'ParameterVersionLabelLimitExceeded',
]);

const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
]);

const TIMEOUT = new Set([
  'TimeoutError',
  'AbortError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: { throttling?: unknown };
}

/**
 * Wraps any error thrown by an AWS SDK call into a {@link SidecarError}.
 * Our own errors pass through unchanged.
 */
export function toSidecarError(err: unknown, context: AwsCallContext): SidecarError {
  if (err instanceof SidecarError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const code = typeof e.code === 'string' ? e.code : undefined;
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : 0;
  const service = context.service;
  const call = context.operation ? `${service} ${context.operation}` : service;
  const about = context.subject === undefined ? '' : ` for ${quoted(context.subject)}`;
  const what = context.subject === undefined ? service : `${service} ${quoted(context.subject)}`;

  if (NOT_FOUND.has(name)) {
    return new SidecarError(ErrorCode.NotFound, `${what} was not found`, {
      cause: err,
      errorType: name,
    });
  }
  if (ACCESS_DENIED.has(name) || name.includes('AccessDenied')) {
    return new SidecarError(ErrorCode.AccessDenied, `access to ${what} was denied (${name})`, {
      cause: err,
      errorType: name === 'CredentialsProviderError' ? 'MissingCredentials' : name,
    });
  }
  if (CONFLICT.has(name)) {
    return new SidecarError(
      ErrorCode.Conflict,
      `${call}${about} conflicts with the current state (${name})`,
      {
        cause: err,
        errorType: name,
      },
    );
  }
  if (REJECTED.has(name)) {
    return new SidecarError(ErrorCode.UpstreamRejected, `${call}${about} was rejected (${name})`, {
      cause: err,
      errorType: name,
    });
  }
  if (THROTTLED.has(name) || e.$retryable?.throttling === true || status === 429) {
    return new SidecarError(ErrorCode.Throttled, `${service} throttled ${call}${about}`, {
      cause: err,
      errorType: THROTTLED.has(name) ? name : 'ThrottlingException',
    });
  }
  // The SDK names some socket errors `TimeoutError`; the errno code tells what really happened.
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return new SidecarError(ErrorCode.UpstreamUnavailable, `${service} is unreachable`, {
      cause: err,
      errorType: 'ConnectionError',
    });
  }
  if (TIMEOUT.has(name) || code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') {
    return new SidecarError(ErrorCode.UpstreamTimeout, `${service} did not answer in time`, {
      cause: err,
      errorType: 'TimeoutError',
    });
  }
  if (e.$fault === 'server' || status >= 500) {
    const type =
      status >= 500 && e.$fault !== undefined && isAwsName(name) ? name : 'ConnectionError';
    return new SidecarError(ErrorCode.UpstreamUnavailable, `${service} is unavailable`, {
      cause: err,
      errorType: type,
    });
  }
  if (e.$fault === 'client' || (status >= 400 && status < 500)) {
    return new SidecarError(ErrorCode.UpstreamRejected, `${service} rejected ${call}${about}`, {
      cause: err,
      errorType: e.$fault !== undefined && isAwsName(name) ? name : 'ValidationException',
    });
  }
  return new SidecarError(ErrorCode.Internal, `unexpected failure calling ${call}`, {
    cause: err,
    errorType: 'InternalFailure',
  });
}

/** True for a plain AWS error type name (no generic SDK class names). */
function isAwsName(name: string): boolean {
  return (
    /^[A-Za-z][A-Za-z0-9.]*$/.test(name) &&
    !/ServiceException$/.test(name) &&
    name !== 'Error' &&
    name !== 'Unknown'
  );
}

function quoted(id: string): string {
  return JSON.stringify(id.length > 256 ? `${id.slice(0, 253)}...` : id);
}
