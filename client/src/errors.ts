/**
 * Maps the sidecar's HTTP answers and socket failures to {@link SidecarError}s.
 * This is the one place where foreign errors from the client's transport are wrapped.
 */
import { ErrorCode, SidecarError } from '../../shared/errors.ts';

/** Longest extension message kept in an error (the extension already sanitizes it). */
const MAX_MESSAGE = 200;

/** Socket error codes that mean "nobody is listening yet" (the extension is still starting). */
export const STARTING_UP_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOENT']);

/** Socket error codes that mean "a kept connection died", typically across a freeze. */
export const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** The socket-level code of a Node network error, if any. */
export function socketCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Turns a non-200 answer of the extension into a typed error.
 *
 * @param status - HTTP status from the extension.
 * @param body - Raw response body (`{"__type","message"}` or plain text).
 * @param secretId - The id that was asked for, for the message.
 */
export function errorFromStatus(status: number, body: string, secretId: string): SidecarError {
  const { type, message } = parseErrorBody(body);
  const detail = message ? `: ${message}` : '';
  const errorType = type ?? `HTTP${status}`;
  const what = `secret-sidecar answered ${status} for ${JSON.stringify(secretId)}`;
  if (type === 'ResourceNotFoundException' || type === 'ParameterNotFound' || status === 404) {
    return new SidecarError(ErrorCode.NotFound, `${what}${detail}`, { errorType });
  }
  if (status === 400)
    return new SidecarError(ErrorCode.BadRequest, `${what}${detail}`, { errorType });
  if (status === 401) {
    return new SidecarError(ErrorCode.Unauthorized, `${what}: the session token was missing`, {
      errorType,
    });
  }
  if (status === 403) {
    return new SidecarError(ErrorCode.Forbidden, `${what}: the session token was rejected`, {
      errorType,
    });
  }
  if (status === 429) {
    return new SidecarError(ErrorCode.TooManyRequests, `${what}${detail}`, { errorType });
  }
  if (status === 504) {
    return new SidecarError(ErrorCode.UpstreamTimeout, `${what}${detail}`, { errorType });
  }
  if (status === 502 || status === 503) {
    return new SidecarError(ErrorCode.UpstreamUnavailable, `${what}${detail}`, { errorType });
  }
  if (type === 'AccessDeniedException' || type === 'DecryptionFailure') {
    return new SidecarError(ErrorCode.AccessDenied, `${what}${detail}`, { errorType });
  }
  return new SidecarError(ErrorCode.Internal, `${what}${detail}`, { errorType });
}

function parseErrorBody(body: string): { type?: string; message?: string } {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object') {
      const o = parsed as Record<string, unknown>;
      const type = typeof o.__type === 'string' ? o.__type : undefined;
      const raw = o.message ?? o.Message;
      const message = typeof raw === 'string' ? raw.slice(0, MAX_MESSAGE) : undefined;
      return { type, message };
    }
  } catch {
    // Plain-text bodies (e.g. "Bad Token") are summarized below.
  }
  const text = body.trim().slice(0, MAX_MESSAGE);
  return text ? { message: text } : {};
}
