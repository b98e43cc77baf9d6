/**
 * Maps AWS SDK failures to {@link SidecarError} codes, once, at the adapters.
 *
 * The AWS error name (e.g. `ResourceNotFoundException`) is kept as `errorType`
 * so HTTP answers can use AWS's own error types; messages are ours, never AWS's.
 */
import { ErrorCode, SidecarError } from '../shared/errors.ts';

/** Which upstream service failed, used in messages. */
export type UpstreamService = 'Secrets Manager' | 'Parameter Store';

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
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'IncompleteSignature',
  'CredentialsProviderError',
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
 *
 * @param id the secret id or parameter name, for the message
 */
export function toSidecarError(err: unknown, service: UpstreamService, id: string): SidecarError {
  if (err instanceof SidecarError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const code = typeof e.code === 'string' ? e.code : undefined;
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : 0;
  const what = `${service} ${quoted(id)}`;

  if (NOT_FOUND.has(name)) {
    return new SidecarError(ErrorCode.NotFound, `${what} was not found`, {
      cause: err,
      errorType: name,
    });
  }
  if (ACCESS_DENIED.has(name) || name.includes('AccessDenied')) {
    return new SidecarError(ErrorCode.AccessDenied, `access to ${what} was denied`, {
      cause: err,
      errorType: name === 'CredentialsProviderError' ? 'MissingCredentials' : name,
    });
  }
  if (THROTTLED.has(name) || e.$retryable?.throttling === true || status === 429) {
    return new SidecarError(
      ErrorCode.Throttled,
      `${service} throttled the request for ${quoted(id)}`,
      {
        cause: err,
        errorType: THROTTLED.has(name) ? name : 'ThrottlingException',
      },
    );
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
    return new SidecarError(
      ErrorCode.UpstreamRejected,
      `${service} rejected the request for ${quoted(id)}`,
      {
        cause: err,
        errorType: e.$fault !== undefined && isAwsName(name) ? name : 'ValidationException',
      },
    );
  }
  return new SidecarError(ErrorCode.Internal, `unexpected failure calling ${service}`, {
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
