/**
 * Refresh-ahead on INVOKE. Lambda thaws the environment for an invocation, so
 * that is when background work can run: entries near expiry are refreshed
 * while the function handles its request, and the extension only asks for the
 * next event after the refresh finished (or the invoke deadline is near), so
 * the work is never frozen mid-flight.
 */
import type { Clock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';
import { RefreshReason } from './cache.ts';
import type { SecretStore } from './store.ts';

/** Margin kept before the invoke deadline. */
const DEADLINE_MARGIN_MS = 100;

/** Options for {@link InvokeRefresher}. */
export interface InvokeRefresherOptions {
  readonly store: Pick<SecretStore, 'refreshDue'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Upper bound on the wait, whatever the deadline. */
  readonly maxWaitMs: number;
}

/** Runs the per-invoke refresh, bounded by the invoke's deadline. */
export class InvokeRefresher {
  readonly #o: InvokeRefresherOptions;
  readonly #log: Logger;

  constructor(options: InvokeRefresherOptions) {
    this.#o = options;
    this.#log = options.logger.child('refresher');
  }

  /**
   * Refreshes due entries; resolves when done or when the wait bound is reached
   * (a refresh still running then completes in the background).
   */
  async onInvoke(deadlineMs: number): Promise<void> {
    const now = this.#o.clock.now();
    // A deadline far in the past is not an epoch timestamp (seen in docs): ignore it.
    const plausible = deadlineMs > now - 86_400_000;
    const left = plausible ? deadlineMs - now - DEADLINE_MARGIN_MS : this.#o.maxWaitMs;
    const bound = Math.max(0, Math.min(left, this.#o.maxWaitMs));
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const work = this.#o.store.refreshDue(RefreshReason.AheadOnInvoke);
    const due = await Promise.race([
      work,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          timedOut = true;
          resolve(undefined);
        }, bound);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut)
      this.#log.warn('refresh still running at the invoke deadline', { boundMs: bound });
    else if (due) this.#log.debug('refreshed on invoke', { entries: due });
  }
}
