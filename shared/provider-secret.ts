/**
 * The stored provider secret: the JSON the rotation function writes and the inference
 * function reads, documented in docs/rotation.md. This module is the one parser of it,
 * the one list of providers, and the one table of each provider's URLs.
 *
 * ```json
 * { "provider": "anthropic", "apiKey": "sk-ant-...", "keyId": "apikey_01",
 *   "baseURL": "https://api.anthropic.com/v1/", "apiBaseURL": "https://api.anthropic.com",
 *   "model": "claude-sonnet-4-0", "retires": { "provider": "anthropic", "keyId": "apikey_00" } }
 * ```
 *
 * - `baseURL` is the **OpenAI-compatible** root the inference function calls;
 * - `apiBaseURL` is the provider's **native** API root the rotation function verifies
 *   new keys against (for OpenAI, whose two roots are one, `baseURL` serves; `random`
 *   is verified only against an `apiBaseURL` the operator names).
 *
 * Both default to the provider's public URLs; `random` (self-issued keys for your own
 * service) has none, so it needs `baseURL`. A secret CloudFormation created and no
 * rotation has filled yet carries `"placeholder": true`. Unknown fields are kept across
 * rotations. No error message ever contains the key.
 */
import { ErrorCode, SidecarError } from './errors.ts';

/** Providers a key can come from; the secret's `provider` field picks the issuer. */
export const Provider = {
  OpenAI: 'openai',
  Google: 'google',
  Anthropic: 'anthropic',
  /** Random bytes from KMS: keys for a service you run yourself. */
  Random: 'random',
} as const;

/** One of {@link Provider}. */
export type Provider = (typeof Provider)[keyof typeof Provider];

/** Every provider, in a stable order (for validation and error messages). */
export const PROVIDERS: readonly Provider[] = Object.values(Provider);

/** A provider's public URLs; `undefined` where the secret must name one. */
export interface ProviderUrls {
  /** OpenAI-compatible root for chat completions (the inference function's `baseURL`). */
  readonly inference: string | undefined;
  /** Native API root (the rotation function verifies keys against it). */
  readonly api: string | undefined;
}

/** Each provider's public URLs, as of the providers' API references (December 2026). */
export const PROVIDER_URLS: Readonly<Record<Provider, ProviderUrls>> = {
  openai: { inference: 'https://api.openai.com/v1', api: 'https://api.openai.com/v1' },
  google: {
    inference: 'https://generativelanguage.googleapis.com/v1beta/openai/',
    api: 'https://generativelanguage.googleapis.com/v1beta',
  },
  anthropic: { inference: 'https://api.anthropic.com/v1/', api: 'https://api.anthropic.com' },
  random: { inference: undefined, api: undefined },
};

/** A key this rotation will revoke once it is no longer AWSCURRENT or AWSPREVIOUS. */
export interface RetiredKey {
  readonly provider: Provider;
  readonly keyId: string;
}

/** A parsed provider secret value. */
export interface ProviderSecret {
  readonly provider: Provider;
  /** The API key. Secret: never logged. */
  readonly apiKey: string;
  /** The provider's id of the key; absent only on a placeholder that no issuer minted. */
  readonly keyId?: string | undefined;
  /** OpenAI-compatible inference root. @default {@link PROVIDER_URLS}[provider].inference */
  readonly baseURL?: string | undefined;
  /** Native API root for key verification. @default {@link PROVIDER_URLS}[provider].api */
  readonly apiBaseURL?: string | undefined;
  readonly model?: string | undefined;
  /** Key retired when this version becomes AWSCURRENT (set by createSecret). */
  readonly retires?: RetiredKey | undefined;
  /** True on the value CloudFormation created, before the first rotation. */
  readonly placeholder?: boolean | undefined;
  /** Any other fields, preserved verbatim. */
  readonly [extra: string]: unknown;
}

/** The fields this module defines, in the order they are written. */
export const ProviderSecretField = {
  Provider: 'provider',
  ApiKey: 'apiKey',
  KeyId: 'keyId',
  BaseURL: 'baseURL',
  ApiBaseURL: 'apiBaseURL',
  Model: 'model',
  Retires: 'retires',
  Placeholder: 'placeholder',
} as const;

const MAX_KEY = 4096;
const MAX_ID = 256;

/** Thrown when a secret value does not have the documented shape. Names the fields, never the key. */
export class SecretValueError extends SidecarError {
  /** One entry per bad field, e.g. `baseURL must be an http:// or https:// URL`. */
  readonly problems: readonly string[];

  constructor(where: string, problems: readonly string[]) {
    super(
      ErrorCode.ConfigInvalid,
      `${where} is not a valid provider secret: ${problems.join('; ')}`,
      {
        errorType: 'InvalidSecretValue',
      },
    );
    this.name = 'SecretValueError';
    this.problems = Object.freeze([...problems]);
  }
}

/**
 * Parses and validates a SecretString. `where` names the value in errors, e.g.
 * `secret version AWSCURRENT`. Messages never contain the key itself.
 *
 * @throws {SecretValueError} naming every bad field and what is allowed.
 */
export function parseProviderSecret(raw: string, where: string): ProviderSecret {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // The parser's message quotes its input: never pass it on.
    throw new SecretValueError(where, ['the SecretString must be a JSON object']);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SecretValueError(where, ['the SecretString must be a JSON object']);
  }
  const v = parsed as Record<string, unknown>;
  const problems: string[] = [];
  const provider = v.provider;
  if (typeof provider !== 'string' || !(PROVIDERS as readonly string[]).includes(provider)) {
    problems.push(`provider must be one of ${PROVIDERS.join(', ')}`);
  }
  if (typeof v.apiKey !== 'string' || v.apiKey.length === 0 || v.apiKey.length > MAX_KEY) {
    problems.push(`apiKey must be a non-empty string of at most ${MAX_KEY} characters`);
  }
  optionalId(v, 'keyId', problems);
  for (const field of ['baseURL', 'apiBaseURL'] as const) {
    if (v[field] !== undefined && !isHttpUrl(v[field])) {
      problems.push(`${field} must be an http:// or https:// URL when present`);
    }
  }
  if (provider === Provider.Random && v.baseURL === undefined) {
    problems.push(
      'baseURL must be set for provider random (the service the keys are for has no public URL)',
    );
  }
  if (v.model !== undefined && (typeof v.model !== 'string' || v.model.length === 0)) {
    problems.push('model must be a non-empty string when present');
  }
  if (v.placeholder !== undefined && typeof v.placeholder !== 'boolean') {
    problems.push('placeholder must be true or false when present');
  }
  if (v.retires !== undefined) {
    const r = v.retires as Record<string, unknown> | null;
    if (
      typeof r !== 'object' ||
      r === null ||
      typeof r.provider !== 'string' ||
      !(PROVIDERS as readonly string[]).includes(r.provider) ||
      typeof r.keyId !== 'string' ||
      r.keyId.length === 0
    ) {
      problems.push(
        'retires must be {"provider": <provider>, "keyId": <non-empty string>} when present',
      );
    }
  }
  if (problems.length > 0) throw new SecretValueError(where, problems);
  return v as unknown as ProviderSecret;
}

/** Serializes a secret value (stable key order: documented fields first, unknown ones kept). */
export function serializeProviderSecret(s: ProviderSecret): string {
  const { provider, apiKey, keyId, baseURL, apiBaseURL, model, placeholder, retires, ...rest } = s;
  return JSON.stringify({
    provider,
    apiKey,
    keyId,
    baseURL,
    apiBaseURL,
    model,
    placeholder,
    ...rest,
    retires,
  });
}

/** The OpenAI-compatible root to call: the secret's `baseURL`, else the provider's public one. */
export function inferenceBaseURL(secret: ProviderSecret): string {
  const url = secret.baseURL ?? PROVIDER_URLS[secret.provider].inference;
  // parseProviderSecret guarantees a baseURL where the provider has no public one.
  if (url === undefined) throw new SecretValueError('the provider secret', ['baseURL must be set']);
  return url;
}

/**
 * The native API root to verify keys against: `apiBaseURL`; else, for OpenAI, whose
 * OpenAI-compatible root is its native root, `baseURL`; else the provider's public root.
 * For `random` it is set only when the operator names a verifier endpoint.
 */
export function apiBaseURL(secret: ProviderSecret): string | undefined {
  if (secret.apiBaseURL !== undefined) return secret.apiBaseURL;
  if (secret.provider === Provider.OpenAI && secret.baseURL !== undefined) return secret.baseURL;
  return PROVIDER_URLS[secret.provider].api;
}

function optionalId(v: Record<string, unknown>, name: string, problems: string[]): void {
  const x = v[name];
  if (x === undefined) return;
  if (typeof x !== 'string' || x.length === 0 || x.length > MAX_ID) {
    problems.push(
      `${name} must be a non-empty string of at most ${MAX_ID} characters when present`,
    );
  }
}

/** True for an absolute http(s) URL. */
export function isHttpUrl(x: unknown): x is string {
  if (typeof x !== 'string') return false;
  try {
    const u = new URL(x);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
