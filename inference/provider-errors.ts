/**
 * Maps provider failures (OpenAI SDK errors) to sanitized client answers:
 * 504 for timeouts, 502 for everything else upstream. No upstream body, message
 * or header other than a numeric Retry-After ever reaches the caller.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ErrorCode } from '../shared/errors.ts';
import { HttpError } from '../shared/http-error.ts';

/** True if the provider answered 401 (the key was rejected). */
export function isUnauthorized(err: unknown): boolean {
  return err instanceof APIError && err.status === 401;
}

/**
 * Converts a provider failure to a {@link HttpError}. The original error is not
 * kept as `cause` because its message quotes the upstream body; the audit line gets
 * the status and the provider's error type instead.
 */
export function mapProviderError(err: unknown, timeoutMs: number): HttpError {
  if (err instanceof HttpError) return err;
  if (
    err instanceof APIConnectionTimeoutError ||
    err instanceof APIUserAbortError ||
    isAbort(err)
  ) {
    return new HttpError(
      504,
      ErrorCode.UpstreamTimeout,
      `the provider did not answer within ${timeoutMs} ms`,
      {
        logFields: { upstream: 'timeout' },
      },
    );
  }
  if (err instanceof APIConnectionError) {
    return new HttpError(502, ErrorCode.UpstreamUnavailable, 'the provider could not be reached', {
      logFields: { upstream: 'connection' },
    });
  }
  if (err instanceof APIError && typeof err.status === 'number') {
    const status = err.status;
    const logFields = {
      upstreamStatus: status,
      upstreamType: safeType(err.type),
      upstreamCode: safeType(err.code),
    };
    if (status === 401 || status === 403) {
      return new HttpError(
        502,
        ErrorCode.UpstreamRejected,
        'the provider rejected the credentials',
        { logFields },
      );
    }
    if (status === 429) {
      return new HttpError(
        502,
        ErrorCode.Throttled,
        'the provider is rate limiting requests; retry later',
        {
          logFields,
          retryAfterSeconds: retryAfter(err.headers),
        },
      );
    }
    if (status === 408 || status === 504) {
      return new HttpError(
        504,
        ErrorCode.UpstreamTimeout,
        `the provider timed out (HTTP ${status})`,
        { logFields },
      );
    }
    if (status >= 500) {
      return new HttpError(
        502,
        ErrorCode.UpstreamUnavailable,
        `the provider failed (HTTP ${status})`,
        { logFields },
      );
    }
    return new HttpError(
      502,
      ErrorCode.UpstreamRejected,
      `the provider rejected the request (HTTP ${status})`,
      {
        logFields,
      },
    );
  }
  return new HttpError(502, ErrorCode.UpstreamUnavailable, 'the provider call failed', {
    logFields: { upstream: err instanceof Error ? err.name : 'unknown' },
  });
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');
}

/** Only short identifier-like strings from the provider go into logs. */
function safeType(v: unknown): string | undefined {
  return typeof v === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(v) ? v : undefined;
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const raw = headers?.get('retry-after');
  if (raw === null || raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 && n <= 3600 ? Math.ceil(n) : undefined;
}
