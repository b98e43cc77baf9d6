/**
 * The core of both inference handlers: look the key up through the sidecar client,
 * call the provider with the client for that key version, and on a 401 force-refresh
 * the key and retry once.
 */

import type { SecretValue } from '@secret-sidecar/client';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { ErrorCode, hasCode } from '../shared/errors.ts';
import type { Metrics } from '../shared/metrics.ts';
import { MetricName } from '../shared/metrics.ts';
import type { InferenceConfig } from './config.ts';
import type { ProviderBinding, ProviderClients } from './provider-clients.ts';
import { isUnauthorized, mapProviderError } from './provider-errors.ts';
import { PublicError } from './public-error.ts';
import type { ChatRequest } from './request.ts';

/** Where keys come from: the sidecar client (or anything with the same two methods). */
export interface SecretSource {
  getSecret(aliasOrId: string): Promise<SecretValue>;
  refresh(aliasOrId: string): Promise<SecretValue>;
}

/** Time spent per phase, in ms (fractions keep microsecond precision). */
export interface PhaseTimings {
  secretLookupMs: number;
  providerMs: number;
}

/** What a provider call produced, plus the facts the audit line needs. */
export interface GatewayResult<T> {
  readonly value: T;
  readonly model: string;
  readonly binding: ProviderBinding;
  /** True when a 401 made us refresh the key and retry. */
  readonly refreshedKey: boolean;
}

/** Options of {@link InferenceGateway}. */
export interface GatewayOptions {
  readonly config: Pick<InferenceConfig, 'secretAlias' | 'defaultModel' | 'providerTimeoutMs'>;
  readonly secrets: SecretSource;
  readonly clients: ProviderClients;
  readonly metrics: Metrics;
  /** Monotonic ms clock for latencies. @default performance.now */
  readonly monotonic?: () => number;
}

/** Per-call limits. */
export interface CallLimits {
  /** Deadline of the provider call in ms (already capped by the Lambda's remaining time). */
  readonly timeoutMs: number;
  /** Aborts the provider call (e.g. when a streaming client goes away). */
  readonly signal?: AbortSignal;
}

/** Looks keys up and calls the provider with one retry after a 401. */
export class InferenceGateway {
  readonly #o: GatewayOptions;
  readonly #mono: () => number;

  constructor(options: GatewayOptions) {
    this.#o = options;
    this.#mono = options.monotonic ?? (() => performance.now());
  }

  /** A non-streamed chat completion. */
  complete(
    req: ChatRequest,
    limits: CallLimits,
    timings: PhaseTimings,
  ): Promise<GatewayResult<ChatCompletion>> {
    return this.#withKey(req, limits, timings, (binding, model) =>
      binding.client.chat.completions.create(
        { ...params(req, model), stream: false },
        { timeout: limits.timeoutMs, maxRetries: 0, signal: limits.signal },
      ),
    );
  }

  /**
   * Opens a streamed chat completion. Resolves once the provider accepted the request
   * (so a 401 can still be retried); the chunks are read by the caller.
   */
  openStream(
    req: ChatRequest,
    limits: CallLimits,
    timings: PhaseTimings,
  ): Promise<GatewayResult<AsyncIterable<ChatCompletionChunk>>> {
    return this.#withKey(req, limits, timings, (binding, model) =>
      binding.client.chat.completions.create(
        { ...params(req, model), stream: true, stream_options: { include_usage: true } },
        { timeout: limits.timeoutMs, maxRetries: 0, signal: limits.signal },
      ),
    );
  }

  async #withKey<T>(
    req: ChatRequest,
    limits: CallLimits,
    timings: PhaseTimings,
    call: (binding: ProviderBinding, model: string) => Promise<T>,
  ): Promise<GatewayResult<T>> {
    let binding = this.#o.clients.forSecret(await this.#lookup(timings, false));
    const model = req.model ?? binding.secret.model ?? this.#o.config.defaultModel;
    let start = this.#mono();
    try {
      const value = await call(binding, model);
      timings.providerMs += this.#mono() - start;
      return { value, model, binding, refreshedKey: false };
    } catch (err) {
      timings.providerMs += this.#mono() - start;
      if (!isUnauthorized(err)) throw mapProviderError(err, limits.timeoutMs);
    }
    // The provider rejected the key: it was probably rotated. Fetch the current one, retry once.
    this.#o.metrics.count(MetricName.KeyRefreshOnUnauthorized);
    binding = this.#o.clients.forSecret(await this.#lookup(timings, true));
    start = this.#mono();
    try {
      const value = await call(binding, model);
      timings.providerMs += this.#mono() - start;
      return { value, model, binding, refreshedKey: true };
    } catch (err) {
      timings.providerMs += this.#mono() - start;
      throw mapProviderError(err, limits.timeoutMs);
    }
  }

  async #lookup(timings: PhaseTimings, refresh: boolean): Promise<SecretValue> {
    const alias = this.#o.config.secretAlias;
    const start = this.#mono();
    try {
      return refresh
        ? await this.#o.secrets.refresh(alias)
        : await this.#o.secrets.getSecret(alias);
    } catch (err) {
      throw lookupError(err);
    } finally {
      timings.secretLookupMs += this.#mono() - start;
    }
  }
}

function params(req: ChatRequest, model: string) {
  return {
    model,
    messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
    max_tokens: req.maxTokens,
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
  };
}

/** Sidecar failures seen by a caller: 504/502 for transient ones, 500 for misconfiguration. */
function lookupError(err: unknown): PublicError {
  if (err instanceof PublicError) return err;
  if (hasCode(err, ErrorCode.UpstreamTimeout)) {
    return new PublicError(
      504,
      ErrorCode.UpstreamTimeout,
      'the provider key could not be read in time',
      {
        cause: err,
        logFields: { phase: 'secret-lookup' },
      },
    );
  }
  if (hasCode(err, ErrorCode.UpstreamUnavailable, ErrorCode.TooManyRequests, ErrorCode.Throttled)) {
    return new PublicError(
      502,
      ErrorCode.UpstreamUnavailable,
      'the provider key is not available right now',
      {
        cause: err,
        logFields: { phase: 'secret-lookup' },
      },
    );
  }
  return new PublicError(500, ErrorCode.Internal, 'internal error', {
    cause: err,
    logFields: { phase: 'secret-lookup' },
  });
}
