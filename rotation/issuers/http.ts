/**
 * JSON over HTTP for the provider admin APIs, with one error mapping for all of them.
 * Errors carry the provider's status and machine error code, never its message text
 * (provider messages can quote part of a key).
 */
import { ErrorCode, SidecarError } from '../../shared/errors.ts';

/** A request to a provider API. */
export interface JsonRequest {
  readonly method?: 'GET' | 'POST' | 'DELETE' | 'PATCH';
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Sent as `application/x-www-form-urlencoded` instead of a JSON body. */
  readonly form?: URLSearchParams;
  readonly timeoutMs: number;
}

/** A provider's answer. */
export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Sends one request; HTTP error statuses are returned, network failures throw. */
export async function requestJson(
  provider: string,
  operation: string,
  url: string,
  req: JsonRequest,
): Promise<JsonResponse> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: req.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(req.form !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...req.headers,
      },
      body:
        req.form !== undefined
          ? req.form.toString()
          : req.body === undefined
            ? undefined
            : JSON.stringify(req.body),
      signal: AbortSignal.timeout(req.timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    const timedOut =
      err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    throw new SidecarError(
      timedOut ? ErrorCode.UpstreamTimeout : ErrorCode.UpstreamUnavailable,
      `${provider} ${operation}: ${timedOut ? `no answer within ${req.timeoutMs} ms` : 'could not connect'}`,
      { cause: err, errorType: timedOut ? 'ProviderTimeout' : 'ProviderUnavailable' },
    );
  }
  const text = await res.text();
  let body: unknown;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  return { status: res.status, body };
}

/** Maps a non-2xx answer to a {@link SidecarError}. */
export function providerError(
  provider: string,
  operation: string,
  res: JsonResponse,
): SidecarError {
  const code =
    res.status === 401
      ? ErrorCode.Unauthorized
      : res.status === 403
        ? ErrorCode.Forbidden
        : res.status === 404
          ? ErrorCode.NotFound
          : res.status === 409
            ? ErrorCode.Conflict
            : res.status === 429
              ? ErrorCode.Throttled
              : res.status >= 500
                ? ErrorCode.UpstreamUnavailable
                : ErrorCode.UpstreamRejected;
  const detail = errorDetail(res.body);
  return new SidecarError(
    code,
    `${provider} ${operation} answered HTTP ${res.status}${detail ? ` (${detail})` : ''}`,
    { errorType: 'ProviderError' },
  );
}

/** Sends a request and returns the body of a 2xx answer, or throws {@link providerError}. */
export async function expectJson(
  provider: string,
  operation: string,
  url: string,
  req: JsonRequest,
): Promise<unknown> {
  const res = await requestJson(provider, operation, url, req);
  if (res.status < 200 || res.status > 299) throw providerError(provider, operation, res);
  return res.body;
}

/** The machine-readable part of OpenAI, Anthropic and Google error bodies. */
function errorDetail(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const err = (body as { error?: unknown }).error;
  if (typeof err !== 'object' || err === null) return '';
  const e = err as Record<string, unknown>;
  const parts = [e.type, e.code, e.status]
    .filter((x): x is string | number => typeof x === 'string' || typeof x === 'number')
    .map((x) =>
      String(x)
        .replace(/[^A-Za-z0-9_.-]/g, '')
        .slice(0, 64),
    )
    .filter((x) => x !== '');
  return [...new Set(parts)].join('/');
}

/** Reads a string field or throws a clear error naming the provider answer. */
export function stringField(
  body: unknown,
  field: string,
  provider: string,
  operation: string,
): string {
  const v =
    typeof body === 'object' && body !== null
      ? (body as Record<string, unknown>)[field]
      : undefined;
  if (typeof v !== 'string' || v === '') {
    throw new SidecarError(
      ErrorCode.UpstreamRejected,
      `${provider} ${operation}: the answer has no string field "${field}"`,
      { errorType: 'ProviderError' },
    );
  }
  return v;
}

/** Joins a base URL and a path without doubling slashes. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
