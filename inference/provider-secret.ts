/**
 * The provider secret's JSON shape (written by the rotation function, documented in
 * docs/rotation.md) and where each provider's OpenAI-compatible API lives.
 */
import { ErrorCode } from '../shared/errors.ts';
import { PublicError } from './public-error.ts';

/** OpenAI-compatible base URLs of the supported providers. */
export const PROVIDER_BASE_URLS = {
  openai: 'https://api.openai.com/v1',
  google: 'https://generativelanguage.googleapis.com/v1beta/openai/',
  anthropic: 'https://api.anthropic.com/v1/',
} as const;

/** A provider with a known base URL. */
export type KnownProvider = keyof typeof PROVIDER_BASE_URLS;

/** The fields of the provider secret that inference uses. */
export interface ProviderSecret {
  readonly provider: string | undefined;
  readonly apiKey: string;
  readonly keyId: string | undefined;
  readonly baseURL: string | undefined;
  readonly model: string | undefined;
}

/**
 * Parses the secret value. The value itself never appears in an error, not even as
 * a `cause` (a JSON parse error quotes its input).
 *
 * @throws {PublicError} 500 `INTERNAL` "the provider key is misconfigured".
 */
export function parseProviderSecret(value: string): ProviderSecret {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw misconfigured('the secret value is not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw misconfigured('the secret value is not a JSON object');
  }
  const o = parsed as Record<string, unknown>;
  if (typeof o.apiKey !== 'string' || o.apiKey === '') {
    throw misconfigured('the secret has no apiKey string');
  }
  const baseURL = optionalString(o.baseURL);
  if (baseURL !== undefined && !/^https?:\/\//.test(baseURL)) {
    throw misconfigured('the secret baseURL is not an http(s) URL');
  }
  return {
    provider: optionalString(o.provider),
    apiKey: o.apiKey,
    keyId: optionalString(o.keyId),
    baseURL,
    model: optionalString(o.model),
  };
}

/**
 * The base URL to call: the configured override, else the secret's, else the
 * provider's default, else OpenAI's.
 */
export function resolveBaseURL(secret: ProviderSecret, override: string | undefined): string {
  if (override !== undefined) return override;
  if (secret.baseURL !== undefined) return secret.baseURL;
  const known = secret.provider as KnownProvider | undefined;
  if (known !== undefined && Object.hasOwn(PROVIDER_BASE_URLS, known))
    return PROVIDER_BASE_URLS[known];
  return PROVIDER_BASE_URLS.openai;
}

function optionalString(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function misconfigured(reason: string): PublicError {
  return new PublicError(500, ErrorCode.Internal, 'the provider key is misconfigured', {
    logFields: { reason },
  });
}
