/**
 * The extension's event loop: wait on `event/next`, refresh on INVOKE, flush
 * metrics, and on SHUTDOWN close down and exit 0 within the deadline.
 * It never exits otherwise: an extension that exits is a crash to Lambda.
 */
import type { Clock } from '../shared/clock.ts';
import { messageOf } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { LambdaEvent } from './lambda-api.ts';

/** Budget Lambda gives external extensions at shutdown. */
const SHUTDOWN_BUDGET_MS = 2_000;
/** Safety margin kept before the shutdown deadline. */
const SHUTDOWN_MARGIN_MS = 200;

/** What the loop drives. */
export interface LifecycleOptions {
  readonly next: () => Promise<LambdaEvent>;
  readonly onInvoke: (deadlineMs: number) => Promise<void>;
  /** Flushes metrics. */
  readonly flush: () => void;
  /** Closes the HTTP server within `graceMs`. */
  readonly close: (graceMs: number) => Promise<void>;
  readonly exit: (code: number) => void;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Waits `ms` (injected so tests need not sleep). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Runs the event loop until SHUTDOWN. */
export class Lifecycle {
  readonly #o: LifecycleOptions;
  readonly #log: Logger;
  #stopping = false;

  constructor(options: LifecycleOptions) {
    this.#o = options;
    this.#log = options.logger.child('lifecycle');
  }

  /** Polls events until SHUTDOWN. Transport errors are retried with backoff, never fatal. */
  async run(): Promise<void> {
    let failures = 0;
    const sleep = this.#o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    while (!this.#stopping) {
      let event: LambdaEvent;
      try {
        event = await this.#o.next();
        failures = 0;
      } catch (err) {
        failures += 1;
        const wait = Math.min(5_000, 100 * 2 ** Math.min(failures, 6));
        this.#log.error('event/next failed; retrying', { error: messageOf(err), retryInMs: wait });
        await sleep(wait);
        continue;
      }
      if (event.eventType === 'SHUTDOWN') {
        this.#log.info('shutdown', { reason: event.shutdownReason });
        await this.shutdown(event.deadlineMs);
        return;
      }
      try {
        await this.#o.onInvoke(event.deadlineMs);
      } catch (err) {
        this.#log.error('invoke handling failed', { error: messageOf(err) });
      }
      this.#o.flush();
    }
  }

  /** Flushes, closes the server and exits 0 before `deadlineMs` (epoch ms). Idempotent. */
  async shutdown(deadlineMs: number): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const now = this.#o.clock.now();
    const budget = Math.max(0, Math.min(deadlineMs - now, SHUTDOWN_BUDGET_MS) - SHUTDOWN_MARGIN_MS);
    this.#o.flush();
    try {
      await this.#o.close(Math.min(budget, 500));
    } catch (err) {
      this.#log.warn('closing the server failed', { error: messageOf(err) });
    }
    this.#o.exit(0);
  }
}
