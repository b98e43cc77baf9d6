/**
 * The SSRF guard's token check: the caller must present the function's own session token.
 *
 * Compared in constant time: `timingSafeEqual` always runs over the expected token's full
 * length, whatever length was presented (a wrong length compares the expected token with
 * itself, then fails), so neither the content nor the length of the expected token leaks
 * through timing; only the presented value's own length, which its sender knows, shapes
 * the cost of copying it. The copy is a slice of Node's buffer pool, so a request takes no
 * off-heap memory of its own here: a SHA-256 digest per request (a fresh off-heap buffer
 * each) cost about a quarter of the server's throughput (perf and wrk, 2026-12-02).
 */
import { timingSafeEqual } from 'node:crypto';

/** Holds the expected token and compares presented ones in constant time. */
export class TokenGuard {
  readonly #expected: Buffer;

  constructor(expected: string) {
    this.#expected = Buffer.from(expected, 'utf8');
  }

  /** True if `presented` equals the expected token. */
  matches(presented: string): boolean {
    const given = Buffer.from(presented, 'utf8');
    const sameLength = given.length === this.#expected.length;
    return timingSafeEqual(sameLength ? given : this.#expected, this.#expected) && sameLength;
  }
}
