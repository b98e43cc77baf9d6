/**
 * A freshness-aware cache for upstream values. Pure logic: no timers, no I/O of
 * its own; time comes from an injected {@link Clock} and values from an injected loader.
 *
 * Rules:
 *  - within the TTL a read never waits on the upstream (a hit). Freshness holds only
 *    while both the monotonic and the wall clock say so: a wall-clock step backwards
 *    cannot extend it, and neither can a monotonic clock that stood still;
 *  - an expired or missing value is loaded on read, and concurrent readers share
 *    one upstream call (single-flight);
 *  - on a transient failure the last good value is served while it is at most
 *    `maxStaleMs` past its expiry; after a failure the entry backs off (doubling from
 *    `failureBackoffMs` up to `maxFailureBackoffMs`): reads serve that stale value and
 *    {@link FreshnessCache.refreshDue} skips the entry without calling the upstream again;
 *  - NotFound, AccessDenied or any other refusal that is not transient, on any path
 *    (read, refresh-ahead, revalidation, `refreshNow`), evicts the entry at once and
 *    surfaces: a value AWS stopped serving is never served again;
 *  - an expired value may be re-validated cheaply (`revalidate`), but at most
 *    `maxRevalidations` times in a row: then it is loaded in full again;
 *  - `refreshNow` always goes upstream; a transient failure surfaces and keeps the cache;
 *  - {@link FreshnessCache.refreshDue} refreshes entries near expiry (called on INVOKE);
 *  - entries not pinned (ids nobody configured) are bounded by `maxEntries`, least
 *    recently used first out.
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

/** A cached value with its wall-clock timestamps (epoch ms), as files publish them. */
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

/** Why an entry was dropped: NotFound/AccessDenied (`error`) or the LRU bound (`lru`). */
export type EvictReason = 'error' | 'lru';

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
   * NotFound/AccessDenied evict; transient errors count as a failed refresh.
   */
  readonly revalidate?: (request: R, cached: T) => Promise<T | undefined>;
  /** Re-validations allowed in a row before a full load. @default 3 */
  readonly maxRevalidations?: number;
  /** Called whenever a value is stored (fetched or re-stamped), with the value it replaced. */
  readonly onStored?: (
    request: R,
    entry: CacheEntry<T>,
    kind: StoreKind,
    replaced: T | undefined,
  ) => void;
  /** Called when an entry's value is dropped, with that value. */
  readonly onEvicted?: (request: R, reason: EvictReason, value: T | undefined) => void;
}

interface Slot<R, T> {
  readonly request: R;
  pinned: boolean;
  entry: CacheEntry<T> | undefined;
  /** Monotonic time when the entry was stored; freshness is measured from it too. */
  storedMono: number;
  lastReadMono: number;
  /** When the upstream may be tried again after failures (monotonic ms). */
  retryAtMono: number | undefined;
  /** Consecutive failed refreshes. */
  failures: number;
  /** Consecutive re-validations since the last full load. */
  revalidations: number;
}

/**
 * Answers that mean AWS no longer serves the value: it is gone, access was denied, or the
 * request is refused for good (a secret scheduled for deletion answers InvalidRequestException).
 */
const FATAL_CODES = [
  ErrorCode.NotFound,
  ErrorCode.AccessDenied,
  ErrorCode.UpstreamRejected,
] as const;

/** TTL cache with single-flight loads, refresh-ahead and stale-on-transient-error. */
export class FreshnessCache<R, T> {
  readonly #o: FreshnessCacheOptions<R, T>;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #maxRevalidations: number;
  readonly #slots = new Map<string, Slot<R, T>>();
  readonly #flights = new Map<string, Promise<CacheEntry<T>>>();
  #unpinned = 0;
  /**
   * The key {@link #touch} last moved to the most-recently-used end, while nothing else has
   * changed the slots since: reading it again moves nothing (a repeated hot read costs no
   * Map delete and insert).
   */
  #mostRecent: string | undefined;

  constructor(options: FreshnessCacheOptions<R, T>) {
    this.#o = options;
    this.#backoffMs = options.failureBackoffMs ?? 1_000;
    this.#maxBackoffMs = options.maxFailureBackoffMs ?? 30_000;
    this.#maxRevalidations = options.maxRevalidations ?? 3;
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
    this.#mostRecent = undefined;
    this.#slots.set(key, this.#newSlot(request, true, undefined));
  }

  /** The cached entry, fresh or not, without touching recency or the upstream. */
  peek(request: R): CacheEntry<T> | undefined {
    return this.#slots.get(this.#o.keyOf(request))?.entry;
  }

  /**
   * The cached entry if it is fresh, else undefined; never calls the upstream and never
   * waits. Counts as a read for recency and refresh-ahead.
   */
  peekFresh(request: R): CacheEntry<T> | undefined {
    const key = this.#o.keyOf(request);
    const slot = this.#slots.get(key);
    const entry = slot?.entry;
    if (!slot || !entry) return undefined;
    // Each clock is read once: this is the path of every cached read.
    const mono = this.#o.clock.monotonic();
    const left = leftOf(slot, entry, this.#o.ttlMs, mono, this.#o.clock.now());
    if (left <= 0) return undefined;
    this.#markRead(key, slot, mono);
    this.#maybeRefreshAhead(key, slot, left, mono);
    return entry;
  }

  /** Reads a value, loading it when needed. Throws the upstream's {@link SidecarError}. */
  async get(request: R, options: { refreshNow?: boolean } = {}): Promise<CacheRead<T>> {
    const key = this.#o.keyOf(request);
    const slot = this.#touch(key);

    if (options.refreshNow) {
      const entry = await this.#refresh(key, request, RefreshReason.RefreshNow);
      return { entry, outcome: CacheOutcome.Bypassed };
    }

    const cached = slot?.entry;
    if (slot && cached && this.#fresh(slot)) {
      this.#maybeRefreshAhead(key, slot);
      return { entry: cached, outcome: CacheOutcome.Hit };
    }
    if (!slot || !cached) {
      const entry = await this.#refresh(key, request, RefreshReason.Miss);
      return { entry, outcome: CacheOutcome.Miss };
    }
    if (this.#backingOff(slot) && this.#staleOk(slot)) {
      return { entry: cached, outcome: CacheOutcome.Stale };
    }
    try {
      const entry = await this.#refresh(key, request, RefreshReason.Expired);
      return { entry, outcome: CacheOutcome.Refreshed };
    } catch (err) {
      // The slot may have been evicted meanwhile (NotFound/AccessDenied): then no stale value.
      const current = this.#slots.get(key);
      if (
        err instanceof SidecarError &&
        err.transient &&
        current?.entry === cached &&
        this.#staleOk(current)
      ) {
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
    // TTL 0 caches nothing: every read goes upstream, so there is nothing to refresh ahead.
    if (this.#o.ttlMs === 0) return 0;
    const due: Promise<unknown>[] = [];
    for (const [key, slot] of this.#slots) {
      if (!this.#isDue(slot)) continue;
      if (!slot.pinned && slot.lastReadMono < slot.storedMono) continue;
      if (this.#backingOff(slot)) continue;
      due.push(this.#refresh(key, slot.request, reason).catch(() => undefined));
    }
    await Promise.all(due);
    return due.length;
  }

  #newSlot(request: R, pinned: boolean, entry: CacheEntry<T> | undefined): Slot<R, T> {
    const mono = this.#o.clock.monotonic();
    return {
      request,
      pinned,
      entry,
      storedMono: mono,
      lastReadMono: entry ? mono : Number.NEGATIVE_INFINITY,
      retryAtMono: undefined,
      failures: 0,
      revalidations: 0,
    };
  }

  /** Milliseconds of life left by the stricter of the two clocks (negative once expired). */
  #left(slot: Slot<R, T>): number {
    const entry = slot.entry;
    if (!entry) return Number.NEGATIVE_INFINITY;
    return leftOf(slot, entry, this.#o.ttlMs, this.#o.clock.monotonic(), this.#o.clock.now());
  }

  #fresh(slot: Slot<R, T>): boolean {
    return this.#left(slot) > 0;
  }

  #isDue(slot: Slot<R, T>): boolean {
    return this.#left(slot) <= this.#o.refreshAheadMs;
  }

  #staleOk(slot: Slot<R, T>): boolean {
    return this.#left(slot) > -this.#o.maxStaleMs;
  }

  #backingOff(slot: Slot<R, T>, mono = this.#o.clock.monotonic()): boolean {
    return slot.retryAtMono !== undefined && mono < slot.retryAtMono;
  }

  /** On a read: refreshes in the background when due; `left` and `mono` when already read. */
  #maybeRefreshAhead(key: string, slot: Slot<R, T>, left?: number, mono?: number): void {
    if (!this.#o.refreshAheadOnRead) return;
    if ((left ?? this.#left(slot)) > this.#o.refreshAheadMs) return;
    if (this.#backingOff(slot, mono)) return;
    this.#refresh(key, slot.request, RefreshReason.AheadOnRead).catch(() => undefined);
  }

  /** Moves a slot to the most-recently-used end and records the read. */
  #touch(key: string): Slot<R, T> | undefined {
    const slot = this.#slots.get(key);
    if (slot) this.#markRead(key, slot, this.#o.clock.monotonic());
    return slot;
  }

  /** Records a read at `mono`, moving the slot to the most-recently-used end. */
  #markRead(key: string, slot: Slot<R, T>, mono: number): void {
    if (key !== this.#mostRecent) {
      this.#slots.delete(key);
      this.#slots.set(key, slot);
      this.#mostRecent = key;
    }
    slot.lastReadMono = mono;
  }

  /** Single-flight upstream refresh of one key. */
  #refresh(key: string, request: R, reason: RefreshReason): Promise<CacheEntry<T>> {
    const inFlight = this.#flights.get(key);
    if (inFlight) return inFlight;
    const flight = this.#fetch(key, request, reason).finally(() => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    });
    this.#flights.set(key, flight);
    return flight;
  }

  async #fetch(key: string, request: R, reason: RefreshReason): Promise<CacheEntry<T>> {
    const slot = this.#slots.get(key);
    const cached = slot?.entry;
    let value: T | undefined;
    let kind: StoreKind = 'fetched';
    try {
      const mayRevalidate =
        cached !== undefined &&
        this.#o.revalidate !== undefined &&
        reason !== RefreshReason.RefreshNow &&
        (slot?.revalidations ?? 0) < this.#maxRevalidations;
      if (mayRevalidate && this.#o.revalidate) {
        value = await this.#o.revalidate(request, cached.value);
        if (value !== undefined) kind = 'revalidated';
      }
      value ??= await this.#o.load(request, reason);
    } catch (err) {
      this.#failed(key, err);
      throw err;
    }
    const entry: CacheEntry<T> = {
      value,
      fetchedAt: this.#o.clock.now(),
      expiresAt: this.#o.clock.now() + this.#o.ttlMs,
    };
    const replaced = this.#store(key, request, entry, kind);
    this.#o.onStored?.(request, entry, kind, replaced);
    return entry;
  }

  #failed(key: string, err: unknown): void {
    const slot = this.#slots.get(key);
    if (!slot) return;
    slot.failures += 1;
    const backoff = Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** (slot.failures - 1));
    slot.retryAtMono = this.#o.clock.monotonic() + backoff;
    if (!hasCode(err, ...FATAL_CODES)) return;
    const value = slot.entry?.value;
    if (slot.pinned) {
      slot.entry = undefined;
      slot.revalidations = 0;
    } else {
      this.#mostRecent = undefined;
      this.#slots.delete(key);
      this.#unpinned -= 1;
    }
    this.#o.onEvicted?.(slot.request, 'error', value);
  }

  /** Stores `entry`; returns the value it replaced, if any. */
  #store(key: string, request: R, entry: CacheEntry<T>, kind: StoreKind): T | undefined {
    const slot = this.#slots.get(key);
    const mono = this.#o.clock.monotonic();
    if (slot) {
      const replaced = slot.entry?.value;
      slot.entry = entry;
      slot.storedMono = mono;
      slot.retryAtMono = undefined;
      slot.failures = 0;
      slot.revalidations = kind === 'revalidated' ? slot.revalidations + 1 : 0;
      return replaced;
    }
    this.#mostRecent = undefined;
    this.#slots.set(key, this.#newSlot(request, false, entry));
    this.#unpinned += 1;
    this.#evictOverflow();
    return undefined;
  }

  #evictOverflow(): void {
    for (const [key, slot] of this.#slots) {
      if (this.#unpinned <= this.#o.maxEntries) return;
      if (slot.pinned) continue;
      this.#mostRecent = undefined;
      this.#slots.delete(key);
      this.#unpinned -= 1;
      this.#o.onEvicted?.(slot.request, 'lru', slot.entry?.value);
    }
  }
}

/** Milliseconds of life left by the stricter of the two clocks (negative once expired). */
function leftOf<R, T>(
  slot: Slot<R, T>,
  entry: CacheEntry<T>,
  ttlMs: number,
  mono: number,
  wall: number,
): number {
  return Math.min(slot.storedMono + ttlMs - mono, entry.expiresAt - wall);
}
