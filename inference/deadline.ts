/**
 * One time budget per request, taken once from the invocation's remaining time and
 * shared by everything the request does: the key lookup, the provider call and any
 * retry. When it runs out the handler answers 504 (and writes its audit line) before
 * Lambda's own deadline would cut the invocation off without either.
 */
import { ErrorCode } from '../shared/errors.ts';
import { HttpError } from '../shared/http-error.ts';
import type { LambdaContextLike } from './http-event.ts';

/** Time kept back from the Lambda deadline to answer with a clean 504 and log. */
export const DEADLINE_MARGIN_MS = 500;

/** Below this much time left, starting another upstream call is pointless. */
export const MIN_CALL_MS = 50;

/** A request's budget on a monotonic clock. */
export class Deadline {
  readonly #endsAt: number;
  readonly #now: () => number;
  readonly #budgetMs: number;
  readonly #controller = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  /** What the request was doing, for the 504's message and audit line. */
  #phase: string | undefined;

  /**
   * @param budgetMs - Total time for the request.
   * @param now - Monotonic clock in ms. @default performance.now
   */
  constructor(budgetMs: number, now: () => number = () => performance.now()) {
    this.#now = now;
    this.#budgetMs = Math.max(0, budgetMs);
    this.#endsAt = now() + this.#budgetMs;
    this.#timer = setTimeout(
      () => this.#controller.abort(this.#timeoutError(this.#phase)),
      this.#budgetMs,
    );
    this.#timer.unref?.();
  }

  /**
   * The budget of one invocation: the configured bound, capped by what the
   * invocation has left minus {@link DEADLINE_MARGIN_MS}.
   */
  static forInvocation(
    configuredMs: number,
    context: LambdaContextLike | undefined,
    now?: () => number,
  ): Deadline {
    const left = context?.getRemainingTimeInMillis?.();
    const budget =
      left === undefined || !Number.isFinite(left)
        ? configuredMs
        : Math.min(configuredMs, left - DEADLINE_MARGIN_MS);
    return new Deadline(budget, now);
  }

  /** The whole budget, in ms. */
  get budgetMs(): number {
    return this.#budgetMs;
  }

  /** Whole milliseconds left (never negative). */
  remainingMs(): number {
    return Math.max(0, Math.floor(this.#endsAt - this.#now()));
  }

  /** Aborts when the budget runs out. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Throws the 504 if too little time is left to start another call. */
  check(what: string): number {
    this.#phase = what;
    const left = this.remainingMs();
    if (left < MIN_CALL_MS) throw this.#timeoutError(what);
    return left;
  }

  /** Settles with `work`, or rejects with the 504 when the budget runs out first. */
  async race<T>(work: Promise<T>, what: string): Promise<T> {
    const left = this.check(what);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(this.#timeoutError(what)), left);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** True once the budget is spent (whether or not the timer has fired yet). */
  get exhausted(): boolean {
    return this.#controller.signal.aborted || this.remainingMs() < MIN_CALL_MS;
  }

  /** The 504 for running out during the current phase. */
  expiredError(): HttpError {
    const reason = this.#controller.signal.reason;
    return reason instanceof HttpError ? reason : this.#timeoutError(this.#phase);
  }

  /** Stops the timer (the request finished). */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #timeoutError(what?: string): HttpError {
    return new HttpError(
      504,
      ErrorCode.UpstreamTimeout,
      `the request did not finish within its ${Math.round(this.#budgetMs)} ms budget${what ? ` (${what})` : ''}`,
      { logFields: { deadlineMs: Math.round(this.#budgetMs), ...(what ? { phase: what } : {}) } },
    );
  }
}
