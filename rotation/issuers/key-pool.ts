/**
 * The key-pool secret for issuers that cannot mint keys by API (Anthropic).
 * An operator pre-provisions keys into it; createSecret claims one per rotation
 * (recording the rotation tag, so a retry finds the same key, and the claiming secret), and
 * revocation removes it.
 *
 * A pool serves exactly one rotated secret (`boundTo`): Secrets Manager has no conditional
 * write, so two secrets drawing from one pool could both claim the same key. With one
 * secret per pool, the only concurrent writers are retries of the same rotation, which claim
 * for the same tag. Operators append keys with {@link mergePoolKeys} (the pool CLI), which
 * never drops a claim.
 *
 * Shape: `{"boundTo": "<secret ARN>", "keys": [{"keyId": "apikey_...", "apiKey": "sk-ant-...",
 * "claimedBy"?: "rot-...", "claimedFor"?: "<secret ARN>"}]}`.
 */

import { randomUUID } from 'node:crypto';
import { ErrorCode, SidecarError } from '../../shared/errors.ts';
import type { Redactor } from '../../shared/redact.ts';
import { RotationEnv } from '../config.ts';
import { type SecretsStore, Stage } from '../secrets-store.ts';

/** One pre-provisioned key. */
export interface PoolEntry {
  readonly keyId: string;
  /** Secret: never logged. */
  readonly apiKey: string;
  /** Rotation tag of the rotation that took this key. */
  readonly claimedBy?: string | undefined;
  /** ARN of the secret that rotation was for. */
  readonly claimedFor?: string | undefined;
}

/** A pool read from its secret. */
export interface KeyPool {
  /** The one secret this pool serves. */
  readonly boundTo: string;
  readonly keys: readonly PoolEntry[];
}

/** The pool's `boundTo` field, named once for messages. */
export const POOL_BINDING_FIELD = 'boundTo';

/**
 * Appends `added` to `pool`: keys already there (by keyId) are left as they are, claims
 * included. Throws naming the first entry that is not `{keyId, apiKey}`.
 */
export function mergePoolKeys(pool: KeyPool, added: readonly unknown[]): KeyPool {
  const known = new Set(pool.keys.map((k) => k.keyId));
  const fresh: PoolEntry[] = [];
  added.forEach((k, i) => {
    if (!hasKey(k)) {
      throw new SidecarError(
        ErrorCode.BadRequest,
        `added key ${i} must be {"keyId": <string>, "apiKey": <string>}`,
        { errorType: 'InvalidKeyPool' },
      );
    }
    if (known.has(k.keyId)) return;
    known.add(k.keyId);
    fresh.push({ keyId: k.keyId, apiKey: k.apiKey });
  });
  return { boundTo: pool.boundTo, keys: [...pool.keys, ...fresh] };
}

/** Whether `k` is an object with a non-empty string `keyId` and `apiKey`. */
function hasKey(k: unknown): k is { keyId: string; apiKey: string } {
  const e = k as Record<string, unknown> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.keyId === 'string' &&
    e.keyId !== '' &&
    typeof e.apiKey === 'string' &&
    e.apiKey !== ''
  );
}

/** Reads and writes the pool secret. */
export class KeyPoolStore {
  readonly #store: SecretsStore;
  readonly #arn: string;
  readonly #redactor: Redactor;

  constructor(store: SecretsStore, arn: string | undefined, redactor: Redactor) {
    if (!arn) {
      throw new SidecarError(
        ErrorCode.ConfigInvalid,
        `${RotationEnv.KeyPoolSecretArn} must be set: the anthropic issuer takes pre-provisioned keys from that secret`,
        { errorType: 'InvalidConfiguration' },
      );
    }
    this.#store = store;
    this.#arn = arn;
    this.#redactor = redactor;
  }

  /** Reads the pool (AWSCURRENT). */
  async read(): Promise<KeyPool> {
    const v = await this.#store.get(this.#arn, { stage: Stage.Current });
    if (!v) {
      throw new SidecarError(ErrorCode.NotFound, 'the key-pool secret has no AWSCURRENT value', {
        errorType: 'InvalidKeyPool',
      });
    }
    return this.#parse(v.value);
  }

  /** Writes a new pool value as AWSCURRENT. */
  async write(pool: KeyPool): Promise<void> {
    await this.#store.putCurrent(this.#arn, { token: randomUUID(), value: JSON.stringify(pool) });
  }

  /** The pool, after checking it serves `secretArn`. */
  async readFor(secretArn: string): Promise<KeyPool> {
    const pool = await this.read();
    if (pool.boundTo !== secretArn) {
      throw new SidecarError(
        ErrorCode.ConfigInvalid,
        `the key pool (${RotationEnv.KeyPoolSecretArn}) serves ${pool.boundTo === '' ? 'no secret' : `another secret, ${pool.boundTo}`}; ` +
          `a pool serves exactly one secret: set its "${POOL_BINDING_FIELD}" to ${secretArn}, or give this secret its own pool`,
        { errorType: 'KeyPoolNotBound' },
      );
    }
    return pool;
  }

  #parse(raw: string): KeyPool {
    const bad = (problem: string) =>
      new SidecarError(ErrorCode.BadRequest, `the key-pool secret is invalid: ${problem}`, {
        errorType: 'InvalidKeyPool',
      });
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw bad('it must be a JSON object {"keys": [...]}');
    }
    const keys = (parsed as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys))
      throw bad('it must be a JSON object {"boundTo": <secret ARN>, "keys": [...]}');
    const boundTo = (parsed as { boundTo?: unknown }).boundTo;
    if (boundTo !== undefined && typeof boundTo !== 'string') {
      throw bad(`"${POOL_BINDING_FIELD}" must be the ARN of the secret the pool serves`);
    }
    const out: PoolEntry[] = [];
    keys.forEach((k: unknown, i) => {
      const e = k as Record<string, unknown>;
      if (
        !hasKey(k) ||
        (e.claimedBy !== undefined && typeof e.claimedBy !== 'string') ||
        (e.claimedFor !== undefined && typeof e.claimedFor !== 'string')
      ) {
        throw bad(
          `keys[${i}] must be {"keyId": <string>, "apiKey": <string>, "claimedBy"?: <string>, "claimedFor"?: <string>}`,
        );
      }
      this.#redactor.register(k.apiKey);
      out.push({
        keyId: k.keyId,
        apiKey: k.apiKey,
        ...(typeof e.claimedBy === 'string' && e.claimedBy ? { claimedBy: e.claimedBy } : {}),
        ...(typeof e.claimedFor === 'string' && e.claimedFor ? { claimedFor: e.claimedFor } : {}),
      });
    });
    return { boundTo: boundTo ?? '', keys: out };
  }
}
