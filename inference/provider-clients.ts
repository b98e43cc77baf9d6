/**
 * One OpenAI SDK client per provider-key version: built when the secret's
 * `versionId` changes, reused otherwise.
 */

import type { SecretValue } from '@secret-sidecar/client';
import OpenAI from 'openai';
import { ErrorCode } from '../shared/errors.ts';
import { HttpError } from '../shared/http-error.ts';
import {
  inferenceBaseURL,
  type ProviderSecret,
  parseProviderSecret,
  SecretValueError,
} from '../shared/provider-secret.ts';
import type { Redactor } from '../shared/redact.ts';

/** The part of the OpenAI SDK client the handlers use. */
export type ChatClient = Pick<OpenAI, 'chat'>;

/** Options handed to an {@link OpenAIFactory}. */
export interface ChatClientOptions {
  readonly apiKey: string;
  readonly baseURL: string;
  /** Per-request deadline in ms. */
  readonly timeout: number;
  /** The handlers do their own single retry (after a 401), so the SDK never retries. */
  readonly maxRetries: number;
  readonly fetch?: typeof fetch;
}

/** Builds an SDK client. The default is `new OpenAI(options)`. */
export type OpenAIFactory = (options: ChatClientOptions) => ChatClient;

/** The default {@link OpenAIFactory}. */
export const defaultOpenAIFactory: OpenAIFactory = (options) =>
  new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    timeout: options.timeout,
    maxRetries: options.maxRetries,
    fetch: options.fetch,
  });

/** A client bound to one key version. */
export interface ProviderBinding {
  readonly client: ChatClient;
  readonly versionId: string;
  readonly baseURL: string;
  readonly secret: ProviderSecret;
}

/** Options of {@link ProviderClients}. */
export interface ProviderClientsOptions {
  readonly factory?: OpenAIFactory;
  /** `INFERENCE_BASE_URL`. */
  readonly baseURLOverride: string | undefined;
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch;
  /** The API key is registered here so no log line can carry it. */
  readonly redactor?: Redactor;
}

/** Caches the SDK client for the current key version. */
export class ProviderClients {
  readonly #factory: OpenAIFactory;
  readonly #options: ProviderClientsOptions;
  #current: { source: SecretValue; binding: ProviderBinding } | undefined;
  #builds = 0;

  constructor(options: ProviderClientsOptions) {
    this.#factory = options.factory ?? defaultOpenAIFactory;
    this.#options = options;
  }

  /** How many clients were built so far (one per key version seen). */
  get builds(): number {
    return this.#builds;
  }

  /**
   * The client for this secret version; builds a new one only when the version
   * (or, without a version id, the value) differs from the last one.
   */
  forSecret(secret: SecretValue): ProviderBinding {
    const cur = this.#current;
    if (cur !== undefined) {
      const same =
        cur.source === secret ||
        (secret.versionId !== '' && cur.source.versionId === secret.versionId) ||
        (secret.versionId === '' && cur.source.value === secret.value);
      if (same) return cur.binding;
    }
    const parsed = readSecret(secret.value);
    this.#options.redactor?.register(parsed.apiKey);
    const baseURL = this.#options.baseURLOverride ?? inferenceBaseURL(parsed);
    const client = this.#factory({
      apiKey: parsed.apiKey,
      baseURL,
      timeout: this.#options.timeoutMs,
      maxRetries: 0,
      fetch: this.#options.fetch,
    });
    this.#builds += 1;
    const binding: ProviderBinding = {
      client,
      versionId: secret.versionId,
      baseURL,
      secret: parsed,
    };
    this.#current = { source: secret, binding };
    return binding;
  }
}

/**
 * Parses the stored secret with the shared contract. A malformed secret (an unknown
 * provider, `random` without a `baseURL`, ...) is the operator's to fix: a 500 whose
 * audit fields name the bad fields. A placeholder no rotation has filled is a 503: no
 * request is ever sent with it.
 */
function readSecret(value: string): ProviderSecret {
  let parsed: ProviderSecret;
  try {
    parsed = parseProviderSecret(value, 'the provider secret');
  } catch (err) {
    if (!(err instanceof SecretValueError)) throw err;
    throw new HttpError(500, ErrorCode.ConfigInvalid, 'the provider key is misconfigured', {
      logFields: { reason: err.problems.join('; ') },
    });
  }
  if (parsed.placeholder === true) {
    throw new HttpError(
      503,
      ErrorCode.UpstreamUnavailable,
      'the provider key has not been issued yet: the first rotation has not run',
      { retryAfterSeconds: 60, logFields: { reason: 'placeholder secret' } },
    );
  }
  return parsed;
}
