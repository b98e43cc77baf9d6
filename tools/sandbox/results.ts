/** Builds the {@link InvokeResult}s the sandbox returns, from what happened to an invocation. */
import { randomUUID } from 'node:crypto';
import { SandboxErrorType } from './errors.ts';
import type { Invocation, InvocationOutcome } from './invocation.ts';
import type { InvokeError, InvokeResult } from './types.ts';

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Lambda's timeout message, e.g. `Task timed out after 3.00 seconds`. */
export function timeoutError(requestId: string, timeoutMs: number, suffix = ''): InvokeError {
  return {
    errorType: SandboxErrorType.Timedout,
    errorMessage: `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds${suffix}`,
  };
}

/** The result of an invoke whose (implicit) init failed. */
export function initFailedResult(error: InvokeError, requestedAt: number): InvokeResult {
  const elapsed = Date.now() - requestedAt;
  return {
    requestId: randomUUID(),
    status: 'error',
    error,
    payload: error,
    durationMs: elapsed,
    extensionsDoneMs: 0,
    initDurationMs: elapsed,
  };
}

/** The result of an invocation the sandbox gave up on (timeout or crash) and reset. */
export function abandonedResult(
  invocation: Invocation,
  status: 'timeout' | 'error',
  error: InvokeError,
  resetReason: string,
  initDurationMs: number | undefined,
): InvokeResult {
  const elapsed = Date.now() - invocation.startedAt;
  return {
    requestId: invocation.requestId,
    status,
    error,
    payload: error,
    durationMs: elapsed,
    extensionsDoneMs: elapsed,
    resetReason,
    ...(initDurationMs === undefined ? {} : { initDurationMs }),
  };
}

/** The result of an invocation the runtime answered (`extensionsDoneMs` filled in later). */
export function answeredResult(
  invocation: Invocation,
  outcome: InvocationOutcome,
  initDurationMs: number | undefined,
): InvokeResult {
  const raw = outcome.body.toString('utf8');
  const durationMs = outcome.endedAt - invocation.startedAt;
  return {
    requestId: invocation.requestId,
    status: outcome.error ? 'error' : 'ok',
    payload: outcome.error ? (outcome.errorBody ?? outcome.error) : parseJson(raw),
    rawPayload: raw,
    ...(outcome.error ? { error: outcome.error } : {}),
    ...(outcome.prelude ? { prelude: outcome.prelude } : {}),
    durationMs,
    extensionsDoneMs: durationMs,
    ...(initDurationMs === undefined ? {} : { initDurationMs }),
  };
}
