/**
 * A freshness-aware cache for upstream values. Pure logic: no timers, no I/O of
 * its own; time comes from an injected {@link Clock} and values from an injected loader.
 *
 * Rules:
 *  - within the TTL a read never waits on the upstream (a hit);
 *  - an expired or missing value is loaded on read, and concurrent readers share
 *    one upstream call (single-flight);
 *  - on a transient failure the last good value is served while it is at most
 *    `maxStaleMs` past its expiry; after a failure the entry backs off (doubling from
 *    `failureBackoffMs` up to `maxFailureBackoffMs`): reads serve that stale value and
 *    {@link FreshnessCache.refreshDue} skips the entry without calling the upstream again;
 *  - NotFound / AccessDenied never serve stale: they evict the entry and surface;
 *  - `refreshNow` always goes upstream; on failure it surfaces the error and keeps the cache;
 *  - {@link FreshnessCache.refreshDue} refreshes entries near expiry (called on INVOKE);
 *  - entries not pinned (ids nobody configured) are bounded by `maxEntries`, least recently used first out.
 *
 * The environment may be frozen between invocations, so nothing here relies on a timer.
 */
import type { Clock } from '../shared/clock.ts';
import { ErrorCode, hasCode, SidecarError } from '../shared/errors.ts';

/** How a read was answered. */
export const CacheOutcome = {
  /** Fresh value from memory. */
  Hit: 'hit',
  /** Nothing cached; loaded from upstream. */
  Miss: 'miss',
  /** Cached value had expired; reloaded (or re-validated) from upstream. */
  Refreshed: 'refreshed',
  /** `refreshNow` bypassed the cache. */
  Bypassed: 'bypassed',
  /** Upstream failed transiently; the last good value was served. */
  Stale: 'stale',
} as const;

/** One of {@link CacheOutcome}. */
export type CacheOutcome = (typeof CacheOutcome)[keyof typeof CacheOutcome];

/** Why an upstream call happened; for logs. */
export const RefreshReason = {
  Miss: 'miss',
  Expired: 'expired',
  RefreshNow: 'refresh-now',
  AheadOnRead: 'ahead-on-read',
  AheadOnInvoke: 'ahead-on-invoke',
} as const;

/** One of {@link RefreshReason}. */
export type RefreshReason = (typeof RefreshReason)[keyof typeof RefreshReason];

/** A cached value with its timestamps (epoch ms). */
export interface CacheEntry<T> {
  readonly value: T;
  readonly fetchedAt: number;
  readonly expiresAt: number;
}

/** The answer to a read. */
export interface CacheRead<T> {
  readonly entry: CacheEntry<T>;
  readonly outcome: CacheOutcome;
}

/** How an entry was stored. */
export type StoreKind = 'fetched' | 'revalidated';

/** Options for {@link FreshnessCache}. */
export interface FreshnessCacheOptions<R, T> {
  readonly clock: Clock;
  /** Time to live; 0 = every read goes upstream. */
  readonly ttlMs: number;
  /** Refresh when this close to expiry. */
  readonly refreshAheadMs: number;
  /** How long past expiry a last-good value may be served on transient errors. */
  readonly maxStaleMs: number;
  /** First back-off after a failed refresh; doubles with each further failure. @default 1000 */
  readonly failureBackoffMs?: number;
  /** Longest back-off. @default 30000 */
  readonly maxFailureBackoffMs?: number;
  /** Bound on entries that are not pinned. */
  readonly maxEntries: number;
  /** Also refresh ahead in the background when a read lands in the refresh-ahead window. */
  readonly refreshAheadOnRead: boolean;
  /** Cache key of a request. */
  readonly keyOf: (request: R) => string;
  /** Loads a value from upstream. Must throw {@link SidecarError}s. */
  readonly load: (request: R, reason: RefreshReason) => Promise<T>;
  /**
   * Cheap check of an expired value: returns the value to re-stamp (possibly with
   * updated metadata) if it is still current, or undefined to load it again.
   * Transient errors count as a failed refresh; other errors fall back to loading.
   */
  readonly revalidate?: (request: R, cached: T) => Promise<T | undefined>;
  /** Called whenever a value is stored (fetched or re-stamped). */
  readonly onStored?: (request: R, entry: CacheEntry<T>, kind: StoreKind) => void;
  /** Called when an entry is dropped: NotFound/AccessDenied (`error`) or LRU (`lru`). */
  readonly onEvicted?: (request: R, reason: 'error' | 'lru') => void;
}

interface Slot<R, T> {
  readonly request: R;
  pinned: boolean;
  entry: CacheEntry<T> | undefined;
  lastReadAt: number;
  /** When the upstream may be tried again after failures (epoch ms). */
  retryAt: number | undefined;
  /** Consecutive failed refreshes. */
  failures: number;
}

const FATAL_CODES = [ErrorCode.NotFound, ErrorCode.AccessDenied] as const;

/** TTL cache with single-flight loads, refresh-ahead and stale-on-transient-error. */
export class FreshnessCache<R, T> {
  readonly #o: FreshnessCacheOptions<R, T>;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #slots = new Map<string, Slot<R, T>>();
  readonly #flights = new Map<string, Promise<CacheEntry<T>>>();
  #unpinned = 0;

  constructor(options: FreshnessCacheOptions<R, T>) {
    this.#o = options;
    this.#backoffMs = options.failureBackoffMs ?? 1_000;
    this.#maxBackoffMs = options.maxFailureBackoffMs ?? 30_000;
  }

  /** Number of cached entries (pinned included). */
  get size(): number {
    return this.#slots.size;
  }

  /** Marks a request as configured: never evicted by LRU, always refreshed by {@link refreshDue}. */
  pin(request: R): void {
    const key = this.#o.keyOf(request);
    const slot = this.#slots.get(key);
    if (slot) {
      if (!slot.pinned) this.#unpinned -= 1;
      slot.pinned = true;
      return;
    }
    this.#slots.set(key, {
      request,
      pinned: true,
      entry: undefined,
      lastReadAt: 0,
      retryAt: undefined,
      failures: 0,
    });
  }

  /** The cached entry, fresh or not, without touching recency or the upstream. */
  peek(request: R): CacheEntry<T> | undefined {
    return this.#slots.get(this.#o.keyOf(request))?.entry;
  }

  /** Reads a value, loading it when needed. Throws the upstream's {@link SidecarError}. */
  async get(request: R, options: { refreshNow?: boolean } = {}): Promise<CacheRead<T>> {
    const key = this.#o.keyOf(request);
    const now = this.#o.clock.now();
    const slot = this.#touch(key, now);

    if (options.refreshNow) {
      const entry = await this.#refresh(key, request, RefreshReason.RefreshNow, false);
      return { entry, outcome: CacheOutcome.Bypassed };
    }

    const cached = slot?.entry;
    if (cached && now < cached.expiresAt) {
      if (this.#o.refreshAheadOnRead && this.#isDue(slot, now) && !this.#backingOff(slot, now)) {
        this.#refresh(key, request, RefreshReason.AheadOnRead, true).catch(() => undefined);
      }
      return { entry: cached, outcome: CacheOutcome.Hit };
    }
    if (!cached) {
      const entry = await this.#refresh(key, request, RefreshReason.Miss, true);
      return { entry, outcome: CacheOutcome.Miss };
    }
    if (this.#backingOff(slot, now) && this.#staleOk(cached, now)) {
      return { entry: cached, outcome: CacheOutcome.Stale };
    }
    try {
      const entry = await this.#refresh(key, request, RefreshReason.Expired, true);
      return { entry, outcome: CacheOutcome.Refreshed };
    } catch (err) {
      const at = this.#o.clock.now();
      if (err instanceof SidecarError && err.transient && this.#staleOk(cached, at)) {
        return { entry: cached, outcome: CacheOutcome.Stale };
      }
      throw err;
    }
  }

  /**
   * Refreshes every entry that is missing, expired or within the refresh-ahead window:
   * pinned entries always, others only if read since they were fetched. Never throws.
   *
   * @returns how many entries were due
   */
  async refreshDue(reason: RefreshReason = RefreshReason.AheadOnInvoke): Promise<number> {
    const now = this.#o.clock.now();
    const due: Promise<unknown>[] = [];
    for (const [key, slot] of this.#slots) {
      if (!this.#isDue(slot, now)) continue;
      if (!slot.pinned && slot.lastReadAt < (slot.entry?.fetchedAt ?? 0)) continue;
      if (this.#backingOff(slot, now)) continue;
      due.push(this.#refresh(key, slot.request, reason, true).catch(() => undefined));
    }
    await Promise.all(due);
    return due.length;
  }

  #backingOff(slot: Slot<R, T>, now: number): boolean {
    return slot.retryAt !== undefined && now < slot.retryAt;
  }

  #isDue(slot: Slot<R, T>, now: number): boolean {
    const entry = slot.entry;
    return !entry || now >= entry.expiresAt - this.#o.refreshAheadMs;
  }

  #staleOk(entry: CacheEntry<T>, now: number): boolean {
    return now < entry.expiresAt + this.#o.maxStaleMs;
  }

  /** Moves a slot to the most-recently-used end and records the read. */
  #touch(key: string, now: number): Slot<R, T> | undefined {
    const slot = this.#slots.get(key);
    if (!slot) return undefined;
    this.#slots.delete(key);
    this.#slots.set(key, slot);
    slot.lastReadAt = now;
    return slot;
  }

  /** Single-flight upstream refresh of one key. */
  #refresh(
    key: string,
    request: R,
    reason: RefreshReason,
    evictOnFatal: boolean,
  ): Promise<CacheEntry<T>> {
    const inFlight = this.#flights.get(key);
    if (inFlight) return inFlight;
    const flight = this.#fetch(key, request, reason, evictOnFatal).finally(() => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    });
    this.#flights.set(key, flight);
    return flight;
  }

  async #fetch(
    key: string,
    request: R,
    reason: RefreshReason,
    evictOnFatal: boolean,
  ): Promise<CacheEntry<T>> {
    const cached = this.#slots.get(key)?.entry;
    let value: T | undefined;
    let kind: StoreKind = 'fetched';
    try {
      if (cached && this.#o.revalidate && reason !== RefreshReason.RefreshNow) {
        value = await this.#o.revalidate(request, cached.value).catch((err: unknown) => {
          if (err instanceof SidecarError && err.transient) throw err;
          return undefined;
        });
        if (value !== undefined) kind = 'revalidated';
      }
      value ??= await this.#o.load(request, reason);
    } catch (err) {
      this.#failed(key, err, evictOnFatal);
      throw err;
    }
    const now = this.#o.clock.now();
    const entry: CacheEntry<T> = { value, fetchedAt: now, expiresAt: now + this.#o.ttlMs };
    this.#store(key, request, entry);
    this.#o.onStored?.(request, entry, kind);
    return entry;
  }

  #failed(key: string, err: unknown, evictOnFatal: boolean): void {
    const slot = this.#slots.get(key);
    if (!slot) return;
    slot.failures += 1;
    const backoff = Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** (slot.failures - 1));
    slot.retryAt = this.#o.clock.now() + backoff;
    if (evictOnFatal && hasCode(err, ...FATAL_CODES)) {
      if (slot.pinned) {
        slot.entry = undefined;
      } else {
        this.#slots.delete(key);
        this.#unpinned -= 1;
      }
      this.#o.onEvicted?.(slot.request, 'error');
    }
  }

  #store(key: string, request: R, entry: CacheEntry<T>): void {
    const slot = this.#slots.get(key);
    if (slot) {
      slot.entry = entry;
      slot.retryAt = undefined;
      slot.failures = 0;
      return;
    }
    this.#slots.set(key, {
      request,
      pinned: false,
      entry,
      lastReadAt: entry.fetchedAt,
      retryAt: undefined,
      failures: 0,
    });
    this.#unpinned += 1;
    this.#evictOverflow();
  }

  #evictOverflow(): void {
    for (const [key, slot] of this.#slots) {
      if (this.#unpinned <= this.#o.maxEntries) return;
      if (slot.pinned) continue;
      this.#slots.delete(key);
      this.#unpinned -= 1;
      this.#o.onEvicted?.(slot.request, 'lru');
    }
  }
}
