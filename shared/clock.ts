/**
 * Time sources, injected so tests control time instead of sleeping.
 *
 * Two readings, for two purposes:
 *  - `now()`, the wall clock: timestamps that leave the process (file envelopes'
 *    `expiresAt`, logs, Lambda's `deadlineMs`);
 *  - `monotonic()`: elapsed time inside the process. It never jumps, so a wall-clock
 *    step backwards cannot keep a cached value fresh for the length of the step.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Milliseconds on a clock that only moves forward (origin arbitrary). */
  monotonic(): number;
}

/** The real clock: `Date.now()` and `performance.now()`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #wall: number;
  #mono = 0;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#wall = start;
  }

  now(): number {
    return this.#wall;
  }

  monotonic(): number {
    return this.#mono;
  }

  /** Lets `ms` pass: both clocks move forward. */
  advance(ms: number): void {
    this.#wall += ms;
    this.#mono += ms;
  }

  /** Steps the wall clock only (NTP correction, a host clock change), by `ms` (may be negative). */
  jumpWall(ms: number): void {
    this.#wall += ms;
  }

  /** Sets the wall clock; the monotonic clock is not changed. */
  set(ms: number): void {
    this.#wall = ms;
  }
}
