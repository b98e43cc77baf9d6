/**
 * The audit trail: exactly one log line and one EMF metrics line per request.
 * Prompt and completion text appear only when `INFERENCE_LOG_CONTENT` is on.
 */

import type { HttpError } from '../shared/http-error.ts';
import type { Logger } from '../shared/logger.ts';
import { MetricName, type Metrics, MetricUnit } from '../shared/metrics.ts';

/** Token counts as returned to callers. */
export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
}

/** Latencies as returned to callers, in ms. */
export interface Latency {
  readonly secretLookupMs: number;
  readonly providerMs: number;
  readonly totalMs: number;
}

/** Everything known about one finished request. */
export interface AuditRecord {
  readonly requestId: string;
  readonly status: number;
  readonly stream: boolean;
  readonly clientId?: string;
  readonly model?: string;
  readonly usage?: Usage;
  readonly latency: Latency;
  readonly keyVersionId?: string;
  readonly keyId?: string;
  readonly refreshedKey?: boolean;
  readonly error?: HttpError;
  /** Only logged when content logging is on. */
  readonly prompt?: readonly { role: string; content: string }[];
  /** Only logged when content logging is on. */
  readonly answer?: string;
}

/** Writes the audit line and the request's metrics. */
export class Auditor {
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #logContent: boolean;

  constructor(logger: Logger, metrics: Metrics, logContent: boolean) {
    this.#logger = logger;
    this.#metrics = metrics;
    this.#logContent = logContent;
  }

  /** Logs `record` as one line and flushes the metrics for it. */
  record(r: AuditRecord): void {
    const fields: Record<string, unknown> = {
      requestId: r.requestId,
      clientId: r.clientId,
      model: r.model,
      status: r.status,
      stream: r.stream,
      promptTokens: r.usage?.promptTokens,
      completionTokens: r.usage?.completionTokens,
      totalTokens: r.usage?.totalTokens,
      secretLookupMs: round(r.latency.secretLookupMs),
      providerMs: round(r.latency.providerMs),
      totalMs: round(r.latency.totalMs),
      keyVersionId: r.keyVersionId,
      keyId: r.keyId,
      keyRefreshed: r.refreshedKey === true ? true : undefined,
    };
    if (r.error !== undefined) {
      fields.errorCode = r.error.code;
      fields.errorMessage = r.error.message;
      Object.assign(fields, r.error.logFields);
      if (r.status >= 500 && r.error.cause !== undefined) fields.cause = r.error.cause;
    }
    if (this.#logContent) {
      fields.prompt = r.prompt;
      fields.answer = r.answer;
    }
    const level = r.status >= 500 ? 'error' : r.status >= 400 ? 'warn' : 'info';
    this.#logger[level]('inference request', fields);

    this.#metrics.count(MetricName.InferenceRequest);
    if (r.status >= 500) this.#metrics.count(MetricName.InferenceError);
    if (r.latency.secretLookupMs > 0) {
      this.#metrics.record(
        MetricName.SecretLookupLatency,
        round(r.latency.secretLookupMs),
        MetricUnit.Milliseconds,
      );
    }
    if (r.latency.providerMs > 0) {
      this.#metrics.record(
        MetricName.ProviderLatency,
        round(r.latency.providerMs),
        MetricUnit.Milliseconds,
      );
    }
    this.#metrics.flush();
  }
}

/** Rounds to microseconds (3 decimals of a ms). */
export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Token counts from an OpenAI `usage` object (zeros when the provider sent none). */
export function usageOf(
  u:
    | { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number }
    | null
    | undefined,
): Usage {
  const promptTokens = u?.prompt_tokens ?? 0;
  const completionTokens = u?.completion_tokens ?? 0;
  return {
    promptTokens,
    completionTokens,
    totalTokens: u?.total_tokens ?? promptTokens + completionTokens,
  };
}
