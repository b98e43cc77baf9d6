/**
 * What happens when the provider rejects the key (401): the key was probably rotated,
 * so ask the extension for the current one, once, however many requests saw the 401 at
 * the same time (single-flight). When the refresh brings back the version that was just
 * rejected, the key is bad rather than stale: further refreshes back off (doubling up to
 * a bound), so a revoked key cannot turn every request into a Secrets Manager call.
 */
import type { SecretValue } from '@secret-sidecar/client';

/** Options of {@link KeyRefresher}. */
export interface KeyRefresherOptions {
  /** Makes the extension fetch the secret from AWS (`refreshNow`). */
  readonly refresh: () => Promise<SecretValue>;
  /** Monotonic ms clock. @default performance.now */
  readonly now?: () => number;
  /** Back-off after the first refresh that brought back the rejected version. @default 1000 */
  readonly backoffMs?: number;
  /** Longest back-off. @default 30000 */
  readonly maxBackoffMs?: number;
}

/** Result of {@link KeyRefresher.afterRejection}. */
export interface RefreshOutcome {
  /** The key to retry with. */
  readonly key: SecretValue;
  /** True when `key` is a different version from the one rejected: a retry is worth it. */
  readonly changed: boolean;
  /** True when this call (or one it joined) went to the extension. */
  readonly refreshed: boolean;
}

/** Single-flight refresh with back-off. */
export class KeyRefresher {
  readonly #o: KeyRefresherOptions;
  readonly #now: () => number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  #flight: Promise<SecretValue> | undefined;
  #last: SecretValue | undefined;
  #quietUntil = Number.NEGATIVE_INFINITY;
  #failures = 0;

  constructor(options: KeyRefresherOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
    this.#baseMs = options.backoffMs ?? 1_000;
    this.#maxMs = options.maxBackoffMs ?? 30_000;
  }

  /** The key to use after `rejected` was refused by the provider. */
  async afterRejection(rejected: SecretValue): Promise<RefreshOutcome> {
    const last = this.#last;
    if (this.#flight === undefined && this.#now() < this.#quietUntil && last !== undefined) {
      return { key: last, changed: last.versionId !== rejected.versionId, refreshed: false };
    }
    // One flight, and one back-off decision per flight, however many callers join it.
    this.#flight ??= this.#o
      .refresh()
      .then((key) => {
        this.#settle(key, key.versionId !== rejected.versionId);
        return key;
      })
      .finally(() => {
        this.#flight = undefined;
      });
    const key = await this.#flight;
    return { key, changed: key.versionId !== rejected.versionId, refreshed: true };
  }

  #settle(key: SecretValue, changed: boolean): void {
    this.#last = key;
    if (changed) {
      this.#failures = 0;
      this.#quietUntil = Number.NEGATIVE_INFINITY;
      return;
    }
    this.#failures += 1;
    this.#quietUntil =
      this.#now() + Math.min(this.#maxMs, this.#baseMs * 2 ** (this.#failures - 1));
  }
}
