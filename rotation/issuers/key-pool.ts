/**
 * The key-pool secret for issuers that cannot mint keys by API (Anthropic).
 * An operator pre-provisions keys into it; createSecret claims one per rotation
 * (recording the rotation tag, so a retry finds the same key), and revocation removes it.
 *
 * Shape: `{"keys": [{"keyId": "apikey_...", "apiKey": "sk-ant-...", "claimedBy"?: "rot-..."}]}`.
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
}

/** A pool read from its secret. */
export interface KeyPool {
  readonly keys: readonly PoolEntry[];
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
    if (!Array.isArray(keys)) throw bad('it must be a JSON object {"keys": [...]}');
    const out: PoolEntry[] = [];
    keys.forEach((k: unknown, i) => {
      const e = k as Record<string, unknown> | null;
      if (
        typeof e !== 'object' ||
        e === null ||
        typeof e.keyId !== 'string' ||
        e.keyId === '' ||
        typeof e.apiKey !== 'string' ||
        e.apiKey === '' ||
        (e.claimedBy !== undefined && typeof e.claimedBy !== 'string')
      ) {
        throw bad(
          `keys[${i}] must be {"keyId": <string>, "apiKey": <string>, "claimedBy"?: <string>}`,
        );
      }
      this.#redactor.register(e.apiKey);
      out.push({
        keyId: e.keyId,
        apiKey: e.apiKey,
        ...(e.claimedBy ? { claimedBy: e.claimedBy } : {}),
      });
    });
    return { keys: out };
  }
}
