/**
 * The SSRF guard's token check: the caller must present the function's own
 * session token. Compared in constant time over fixed-length digests, so neither
 * the content nor the length of the expected token leaks through timing.
 */
import { hash, timingSafeEqual } from 'node:crypto';

/** Holds the expected token and compares presented ones in constant time. */
export class TokenGuard {
  readonly #digest: Buffer;

  constructor(expected: string) {
    this.#digest = digest(expected);
  }

  /** True if `presented` equals the expected token. */
  matches(presented: string): boolean {
    return timingSafeEqual(this.#digest, digest(presented));
  }
}

/** One-shot SHA-256 (no Hash object per request). */
function digest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}
