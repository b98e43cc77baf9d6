/**
 * The core of both inference handlers: look the key up through the sidecar client,
 * call the provider with the client for that key version, and on a 401 get the current
 * key (single-flight, backed off) and retry once, all within the request's one
 * {@link Deadline}.
 */
import type { SecretValue } from '@secret-sidecar/client';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { ErrorCode, hasCode } from '../shared/errors.ts';
import { HttpError } from '../shared/http-error.ts';
import type { Metrics } from '../shared/metrics.ts';
import { MetricName } from '../shared/metrics.ts';
import type { InferenceConfig } from './config.ts';
import type { Deadline } from './deadline.ts';
import { KeyRefresher } from './key-refresher.ts';
import type { ProviderBinding, ProviderClients } from './provider-clients.ts';
import { isUnauthorized, mapProviderError } from './provider-errors.ts';
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
  /** True when a 401 made us take a newer key and retry. */
  readonly refreshedKey: boolean;
}

/** Options of {@link InferenceGateway}. */
export interface GatewayOptions {
  readonly config: Pick<InferenceConfig, 'secretAlias' | 'defaultModel'>;
  readonly secrets: SecretSource;
  readonly clients: ProviderClients;
  readonly metrics: Metrics;
  /** Monotonic ms clock for latencies and back-off. @default performance.now */
  readonly monotonic?: () => number;
}

/** Per-call limits. */
export interface CallLimits {
  /** The request's budget: the lookup, the provider call and the retry all fit in it. */
  readonly deadline: Deadline;
  /** Aborts the provider call (e.g. when a streaming caller goes away). */
  readonly signal?: AbortSignal;
}

/** Looks keys up and calls the provider, with one retry after a 401 when the key changed. */
export class InferenceGateway {
  readonly #o: GatewayOptions;
  readonly #mono: () => number;
  readonly #refresher: KeyRefresher;

  constructor(options: GatewayOptions) {
    this.#o = options;
    this.#mono = options.monotonic ?? (() => performance.now());
    this.#refresher = new KeyRefresher({
      refresh: () => this.#o.secrets.refresh(this.#o.config.secretAlias),
      now: this.#mono,
    });
  }

  /** A non-streamed chat completion. */
  complete(
    req: ChatRequest,
    limits: CallLimits,
    timings: PhaseTimings,
  ): Promise<GatewayResult<ChatCompletion>> {
    return this.#withKey(req, limits, timings, (binding, model, timeout, signal) =>
      binding.client.chat.completions.create(
        { ...params(req, model), stream: false },
        { timeout, maxRetries: 0, signal },
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
    return this.#withKey(req, limits, timings, (binding, model, timeout, signal) =>
      binding.client.chat.completions.create(
        { ...params(req, model), stream: true, stream_options: { include_usage: true } },
        { timeout, maxRetries: 0, signal },
      ),
    );
  }

  async #withKey<T>(
    req: ChatRequest,
    limits: CallLimits,
    timings: PhaseTimings,
    call: (
      binding: ProviderBinding,
      model: string,
      timeout: number,
      signal: AbortSignal,
    ) => Promise<T>,
  ): Promise<GatewayResult<T>> {
    const { deadline } = limits;
    const signal = limits.signal
      ? AbortSignal.any([deadline.signal, limits.signal])
      : deadline.signal;
    const first = await this.#lookup(timings, deadline, () =>
      this.#o.secrets.getSecret(this.#o.config.secretAlias),
    );
    let binding = this.#o.clients.forSecret(first);
    const model = req.model ?? binding.secret.model ?? this.#o.config.defaultModel;
    try {
      const value = await this.#call(timings, () =>
        call(binding, model, deadline.check('provider call'), signal),
      );
      return { value, model, binding, refreshedKey: false };
    } catch (err) {
      if (!isUnauthorized(err)) throw this.#failure(err, deadline);
    }
    // The provider rejected the key: it was probably rotated. Take the current one.
    this.#o.metrics.count(MetricName.KeyRefreshOnUnauthorized);
    const outcome = await this.#lookup(timings, deadline, () =>
      this.#refresher.afterRejection(first),
    );
    if (!outcome.changed) {
      // The current key is the one just refused: retrying would be refused again.
      throw new HttpError(
        502,
        ErrorCode.UpstreamRejected,
        'the provider rejected the credentials',
        {
          logFields: { upstreamStatus: 401, keyRefreshed: outcome.refreshed },
        },
      );
    }
    binding = this.#o.clients.forSecret(outcome.key);
    try {
      const value = await this.#call(timings, () =>
        call(binding, model, deadline.check('provider call after key refresh'), signal),
      );
      return { value, model, binding, refreshedKey: true };
    } catch (err) {
      throw this.#failure(err, deadline);
    }
  }

  async #call<T>(timings: PhaseTimings, run: () => Promise<T>): Promise<T> {
    const start = this.#mono();
    try {
      return await run();
    } finally {
      timings.providerMs += this.#mono() - start;
    }
  }

  async #lookup<T extends SecretValue | { key: SecretValue }>(
    timings: PhaseTimings,
    deadline: Deadline,
    read: () => Promise<T>,
  ): Promise<T> {
    const start = this.#mono();
    try {
      return await deadline.race(read(), 'key lookup');
    } catch (err) {
      throw lookupError(err);
    } finally {
      timings.secretLookupMs += this.#mono() - start;
    }
  }

  /**
   * A provider failure. A call cut short once the budget was spent is the budget's 504,
   * whichever fired first: our abort or the SDK's own timeout set to the time left.
   */
  #failure(err: unknown, deadline: Deadline): HttpError {
    if (err instanceof HttpError) return err;
    const mapped = mapProviderError(err, Math.round(deadline.budgetMs));
    if (mapped.code === ErrorCode.UpstreamTimeout && deadline.exhausted) {
      return deadline.expiredError();
    }
    return mapped;
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
function lookupError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (hasCode(err, ErrorCode.UpstreamTimeout)) {
    return new HttpError(
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
    return new HttpError(
      502,
      ErrorCode.UpstreamUnavailable,
      'the provider key is not available right now',
      {
        cause: err,
        logFields: { phase: 'secret-lookup' },
      },
    );
  }
  return new HttpError(500, ErrorCode.Internal, 'internal error', {
    cause: err,
    logFields: { phase: 'secret-lookup' },
  });
}
