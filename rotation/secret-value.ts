/**
 * The JSON shape of a rotated provider secret (documented in docs/rotation.md):
 *
 * ```json
 * { "provider": "openai", "apiKey": "sk-...", "keyId": "key_abc", "baseURL": "https://api.openai.com/v1",
 *   "model": "gpt-4o-mini", "retires": { "provider": "openai", "keyId": "key_old" } }
 * ```
 *
 * Unknown fields are kept across rotations. `retires` is written by the rotation function itself.
 */
import { ErrorCode, SidecarError } from '../shared/errors.ts';

/** Providers a key can come from; the secret's `provider` field picks the issuer. */
export const Provider = {
  OpenAI: 'openai',
  Google: 'google',
  Anthropic: 'anthropic',
  /** Random bytes from KMS: no provider, for demos and tests. */
  Random: 'random',
} as const;

/** One of {@link Provider}. */
export type Provider = (typeof Provider)[keyof typeof Provider];

/** Every provider, in a stable order (for validation and error messages). */
export const PROVIDERS: readonly Provider[] = Object.values(Provider);

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
  /** The provider's id of the key; absent only on a bootstrap placeholder that no issuer minted. */
  readonly keyId?: string | undefined;
  /** Inference base URL; issuers verify keys against it. */
  readonly baseURL?: string | undefined;
  readonly model?: string | undefined;
  /** Key retired when this version becomes AWSCURRENT (set by createSecret). */
  readonly retires?: RetiredKey | undefined;
  /** Any other fields, preserved verbatim. */
  readonly [extra: string]: unknown;
}

const MAX_KEY = 4096;
const MAX_ID = 256;

/** Thrown when a secret value does not have the documented shape. */
export class SecretValueError extends SidecarError {
  constructor(where: string, problems: readonly string[]) {
    super(ErrorCode.BadRequest, `${where} is not a valid provider secret: ${problems.join('; ')}`, {
      errorType: 'InvalidSecretValue',
    });
    this.name = 'SecretValueError';
  }
}

/**
 * Parses and validates a SecretString. `where` names the value in errors,
 * e.g. `secret version AWSCURRENT`. Messages never contain the key itself.
 */
export function parseProviderSecret(raw: string, where: string): ProviderSecret {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SecretValueError(where, ['the SecretString must be a JSON object']);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SecretValueError(where, ['the SecretString must be a JSON object']);
  }
  const v = parsed as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof v.provider !== 'string' || !(PROVIDERS as readonly string[]).includes(v.provider)) {
    problems.push(`provider must be one of ${PROVIDERS.join(', ')}`);
  }
  if (typeof v.apiKey !== 'string' || v.apiKey.length === 0 || v.apiKey.length > MAX_KEY) {
    problems.push(`apiKey must be a non-empty string of at most ${MAX_KEY} characters`);
  }
  optionalId(v, 'keyId', problems);
  if (v.baseURL !== undefined && !isHttpUrl(v.baseURL)) {
    problems.push('baseURL must be an http:// or https:// URL when present');
  }
  if (v.model !== undefined && (typeof v.model !== 'string' || v.model.length === 0)) {
    problems.push('model must be a non-empty string when present');
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

/** Serializes a secret value (stable key order: documented fields first). */
export function serializeProviderSecret(s: ProviderSecret): string {
  const { provider, apiKey, keyId, baseURL, model, retires, ...rest } = s;
  return JSON.stringify({ provider, apiKey, keyId, baseURL, model, ...rest, retires });
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
