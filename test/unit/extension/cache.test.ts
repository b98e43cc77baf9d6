import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CacheOutcome, FreshnessCache, type RefreshReason } from '../../../extension/cache.ts';
import { ManualClock } from '../../../shared/clock.ts';
import { ErrorCode, SidecarError } from '../../../shared/errors.ts';

const TTL = 10_000;
const AHEAD = 2_000;
const MAX_STALE = 5_000;
const BACKOFF = 1_000;

/** An in-memory upstream whose next answer each test scripts. */
class FakeUpstream {
  values = new Map<string, string>();
  failure: SidecarError | undefined;
  calls: { id: string; reason: RefreshReason }[] = [];
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  hold(): void {
    this.#gate = new Promise((r) => {
      this.#open = r;
    });
  }

  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }

  load = async (id: string, reason: RefreshReason): Promise<string> => {
    this.calls.push({ id, reason });
    if (this.#gate) await this.#gate;
    if (this.failure) throw this.failure;
    const v = this.values.get(id);
    if (v === undefined) throw new SidecarError(ErrorCode.NotFound, `${id} not found`);
    return v;
  };
}

function setup(
  overrides: { maxEntries?: number; refreshAheadOnRead?: boolean; ttlMs?: number } = {},
) {
  const clock = new ManualClock();
  const upstream = new FakeUpstream();
  const stored: string[] = [];
  const evicted: string[] = [];
  const cache = new FreshnessCache<string, string>({
    clock,
    ttlMs: overrides.ttlMs ?? TTL,
    refreshAheadMs: AHEAD,
    maxStaleMs: MAX_STALE,
    failureBackoffMs: BACKOFF,
    maxEntries: overrides.maxEntries ?? 100,
    refreshAheadOnRead: overrides.refreshAheadOnRead ?? false,
    keyOf: (id) => id,
    load: upstream.load,
    onStored: (id, entry) => stored.push(`${id}=${entry.value}`),
    onEvicted: (id, why) => evicted.push(`${id}:${why}`),
  });
  return { clock, upstream, cache, stored, evicted };
}

const transient = () =>
  new SidecarError(ErrorCode.UpstreamUnavailable, 'unavailable', { errorType: 'ConnectionError' });

describe('FreshnessCache', () => {
  it('loads a missing value once and then serves it from memory within the TTL', async () => {
    const { upstream, cache, clock } = setup();
    upstream.values.set('a', 'v1');
    const first = await cache.get('a');
    clock.advance(TTL - 1);
    const second = await cache.get('a');
    expect(first.outcome).toBe(CacheOutcome.Miss);
    expect(second.outcome).toBe(CacheOutcome.Hit);
    expect(second.entry.value).toBe('v1');
    expect(upstream.calls).toHaveLength(1);
  });

  it('reloads an expired value on read', async () => {
    const { upstream, cache, clock } = setup();
    upstream.values.set('a', 'v1');
    await cache.get('a');
    upstream.values.set('a', 'v2');
    clock.advance(TTL);
    const read = await cache.get('a');
    expect(read.outcome).toBe(CacheOutcome.Refreshed);
    expect(read.entry.value).toBe('v2');
    expect(upstream.calls.map((c) => c.reason)).toEqual(['miss', 'expired']);
  });

  it('goes upstream on every read when the TTL is 0', async () => {
    const { upstream, cache } = setup({ ttlMs: 0 });
    upstream.values.set('a', 'v1');
    await cache.get('a');
    await cache.get('a');
    expect(upstream.calls).toHaveLength(2);
  });

  it('makes one upstream call for 50 concurrent reads of an expired value', async () => {
    const { upstream, cache, clock } = setup();
    upstream.values.set('a', 'v1');
    await cache.get('a');
    clock.advance(TTL + 1);
    upstream.values.set('a', 'v2');
    upstream.hold();
    const reads = Array.from({ length: 50 }, () => cache.get('a'));
    upstream.release();
    const results = await Promise.all(reads);
    expect(upstream.calls).toHaveLength(2);
    expect(new Set(results.map((r) => r.entry.value))).toEqual(new Set(['v2']));
  });

  it('reports entries in the refresh-ahead window as due, and only those', async () => {
    const { upstream, cache, clock } = setup();
    upstream.values.set('a', 'v1');
    await cache.get('a');
    clock.advance(TTL - AHEAD - 1);
    expect(await cache.refreshDue()).toBe(0);
    clock.advance(1);
    upstream.values.set('a', 'v2');
    expect(await cache.refreshDue()).toBe(1);
    expect(upstream.calls.at(-1)?.reason).toBe('ahead-on-invoke');
    const read = await cache.get('a');
    expect(read.outcome).toBe(CacheOutcome.Hit);
    expect(read.entry.value).toBe('v2');
  });

  it('refreshes pinned entries that were never loaded', async () => {
    const { upstream, cache } = setup();
    upstream.values.set('a', 'v1');
    cache.pin('a');
    expect(await cache.refreshDue()).toBe(1);
    expect(cache.peek('a')?.value).toBe('v1');
  });

  it('does not refresh ahead an unpinned entry nobody read since its last fetch', async () => {
    const { upstream, cache, clock } = setup();
    upstream.values.set('a', 'v1');
    await cache.get('a');
    clock.advance(TTL - AHEAD);
    expect(await cache.refreshDue()).toBe(1);
    clock.advance(TTL);
    expect(await cache.refreshDue()).toBe(0);
  });

  it('refreshes ahead in the background on read when asked to', async () => {
    const { upstream, cache, clock } = setup({ refreshAheadOnRead: true });
    upstream.values.set('a', 'v1');
    await cache.get('a');
    clock.advance(TTL - AHEAD);
    upstream.values.set('a', 'v2');
    const read = await cache.get('a');
    expect(read.outcome).toBe(CacheOutcome.Hit);
    expect(read.entry.value).toBe('v1');
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(upstream.calls.at(-1)?.reason).toBe('ahead-on-read');
    expect(cache.peek('a')?.value).toBe('v2');
  });

  it('serves the stale value on a transient error within the staleness bound', async () => {
    const { upstream, cache, clock } = setup();
    upstream.values.set('a', 'v1');
    await cache.get('a');
    clock.advance(TTL + MAX_STALE - 1);
    upstream.failure = transient();
    const read = await cache.get('a');
    expect(read.outcome).toBe(CacheOutcome.Stale);
    expect(read.entry.value).toBe('v1');
  });

  it('answers with the error once the value is older than the staleness bound', async () => {
    const { upstream, cache, clock } = setup();
    upstream.values.set('a', 'v1');
    await cache.get('a');
    clock.advance(TTL + MAX_STALE);
    upstream.failure = transient();
    await expect(cache.get('a')).rejects.toMatchObject({ code: ErrorCode.UpstreamUnavailable });
  });

  it('serves stale without calling upstream again during the failure backoff', async () => {
    const { upstream, cache, clock } = setup();
    upstream.values.set('a', 'v1');
    await cache.get('a');
    clock.advance(TTL);
    upstream.failure = transient();
    await cache.get('a');
    clock.advance(BACKOFF - 1);
    const read = await cache.get('a');
    expect(read.outcome).toBe(CacheOutcome.Stale);
    expect(upstream.calls).toHaveLength(2);
    clock.advance(1);
    await cache.get('a');
    expect(upstream.calls).toHaveLength(3);
  });

  it('doubles the back-off with each consecutive failure', async () => {
    const { upstream, cache, clock } = setup();
    upstream.values.set('a', 'v1');
    cache.pin('a');
    await cache.get('a');
    clock.advance(TTL);
    upstream.failure = transient();
    await cache.refreshDue(); // fails: back off 1 s
    clock.advance(BACKOFF);
    await cache.refreshDue(); // fails: back off 2 s
    clock.advance(2 * BACKOFF - 1);
    expect(await cache.refreshDue()).toBe(0);
    clock.advance(1);
    expect(await cache.refreshDue()).toBe(1);
    expect(upstream.calls).toHaveLength(4);
  });

  it('backs off a configured secret that keeps failing with NotFound', async () => {
    const { upstream, cache, clock } = setup();
    cache.pin('gone');
    expect(await cache.refreshDue()).toBe(1);
    expect(await cache.refreshDue()).toBe(0);
    clock.advance(BACKOFF);
    expect(await cache.refreshDue()).toBe(1);
    expect(upstream.calls).toHaveLength(2);
  });

  it.each([
    [ErrorCode.AccessDenied, 'AccessDeniedException'],
    [ErrorCode.NotFound, 'ResourceNotFoundException'],
  ])('never serves stale on %s and evicts the entry', async (code, errorType) => {
    const { upstream, cache, clock, evicted } = setup();
    upstream.values.set('a', 'v1');
    await cache.get('a');
    clock.advance(TTL);
    upstream.failure = new SidecarError(code, 'no', { errorType });
    await expect(cache.get('a')).rejects.toMatchObject({ code });
    expect(cache.peek('a')).toBeUndefined();
    expect(evicted).toEqual(['a:error']);
  });

  it('bypasses a fresh value on refreshNow', async () => {
    const { upstream, cache } = setup();
    upstream.values.set('a', 'v1');
    await cache.get('a');
    upstream.values.set('a', 'v2');
    const read = await cache.get('a', { refreshNow: true });
    expect(read.outcome).toBe(CacheOutcome.Bypassed);
    expect(read.entry.value).toBe('v2');
    expect((await cache.get('a')).entry.value).toBe('v2');
  });

  it('keeps the cached value when refreshNow fails transiently', async () => {
    const { upstream, cache } = setup();
    upstream.values.set('a', 'v1');
    await cache.get('a');
    upstream.failure = transient();
    await expect(cache.get('a', { refreshNow: true })).rejects.toMatchObject({
      code: ErrorCode.UpstreamUnavailable,
    });
    expect((await cache.get('a')).entry.value).toBe('v1');
  });

  it.each([
    [ErrorCode.AccessDenied, 'AccessDeniedException'],
    [ErrorCode.NotFound, 'ResourceNotFoundException'],
  ])('evicts on %s from refreshNow and never serves the value again', async (code, errorType) => {
    const { upstream, cache, clock, evicted } = setup();
    upstream.values.set('a', 'v1');
    await cache.get('a');
    upstream.failure = new SidecarError(code, 'no', { errorType });
    await expect(cache.get('a', { refreshNow: true })).rejects.toMatchObject({ code });
    expect(evicted).toEqual(['a:error']);
    expect(cache.peek('a')).toBeUndefined();
    // Within what would have been its TTL and its stale bound, the value is still gone.
    clock.advance(TTL + 1);
    await expect(cache.get('a')).rejects.toMatchObject({ code });
  });

  it('keeps a value fresh for no longer than the TTL when the wall clock steps back', async () => {
    const { upstream, cache, clock } = setup();
    upstream.values.set('a', 'v1');
    await cache.get('a');
    clock.advance(TTL - 1_000);
    clock.jumpWall(-60 * 60_000);
    expect((await cache.get('a')).outcome).toBe(CacheOutcome.Hit);
    clock.advance(1_000);
    expect((await cache.get('a')).outcome).toBe(CacheOutcome.Refreshed);
    expect(upstream.calls).toHaveLength(2);
  });

  it('expires a value early when the wall clock steps forward', async () => {
    const { upstream, cache, clock } = setup();
    upstream.values.set('a', 'v1');
    await cache.get('a');
    clock.jumpWall(TTL);
    expect((await cache.get('a')).outcome).toBe(CacheOutcome.Refreshed);
  });

  it('expires a value by the wall clock when the monotonic clock stood still', async () => {
    const { upstream, cache, clock } = setup();
    upstream.values.set('a', 'v1');
    await cache.get('a');
    // A restored snapshot: days passed, the monotonic clock did not move.
    clock.jumpWall(3 * 86_400_000);
    expect((await cache.get('a')).outcome).toBe(CacheOutcome.Refreshed);
  });

  it('answers peekFresh only while the value is fresh, without calling the upstream', async () => {
    const { upstream, cache, clock } = setup();
    upstream.values.set('a', 'v1');
    expect(cache.peekFresh('a')).toBeUndefined();
    await cache.get('a');
    expect(cache.peekFresh('a')?.value).toBe('v1');
    clock.advance(TTL);
    expect(cache.peekFresh('a')).toBeUndefined();
    expect(upstream.calls).toHaveLength(1);
  });

  it.each([
    ['repeated reads of the newest entry', ['a', 'b', 'b', 'b', 'a'], 'b'],
    ['a read of the older entry after the newest was read', ['a', 'b', 'b', 'a'], 'b'],
    ['a read of an entry read last before another was added', ['a', 'a', 'b', 'a'], 'b'],
    ['no reads after loading', ['a', 'b'], 'a'],
  ])('keeps recency through %s', async (_label, reads, victim) => {
    const { upstream, cache, evicted } = setup({ maxEntries: 2 });
    for (const id of ['a', 'b', 'c']) upstream.values.set(id, id);
    for (const id of reads) {
      if (cache.peekFresh(id) === undefined) await cache.get(id);
    }
    await cache.get('c');
    expect(evicted).toEqual([`${victim}:lru`]);
  });

  it('evicts in least-recently-read order for any sequence of reads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.boolean()), {
          maxLength: 60,
        }),
        async (reads) => {
          const { upstream, cache, evicted } = setup({ maxEntries: 3 });
          for (const id of ['a', 'b', 'c', 'd', 'e']) upstream.values.set(id, id);
          const model: string[] = [];
          const expected: string[] = [];
          for (const [id, peekFirst] of reads) {
            if (!peekFirst || cache.peekFresh(id) === undefined) await cache.get(id);
            const at = model.indexOf(id);
            if (at !== -1) model.splice(at, 1);
            model.push(id);
            if (model.length > 3) expected.push(`${model.shift()}:lru`);
          }
          expect(evicted).toEqual(expected);
        },
      ),
    );
  });

  it('evicts the least recently used unpinned entry beyond the bound, never a pinned one', async () => {
    const { upstream, cache, evicted } = setup({ maxEntries: 2 });
    for (const id of ['p', 'a', 'b', 'c']) upstream.values.set(id, id);
    cache.pin('p');
    await cache.get('p');
    await cache.get('a');
    await cache.get('b');
    await cache.get('a');
    await cache.get('c');
    expect(evicted).toEqual(['b:lru']);
    expect(cache.peek('p')?.value).toBe('p');
    expect(cache.peek('a')?.value).toBe('a');
    expect(cache.peek('b')).toBeUndefined();
  });

  it('re-stamps an expired value that revalidation says is still current', async () => {
    const clock = new ManualClock();
    let loads = 0;
    const cache = new FreshnessCache<string, string>({
      clock,
      ttlMs: TTL,
      refreshAheadMs: 0,
      maxStaleMs: 0,
      maxEntries: 10,
      refreshAheadOnRead: false,
      keyOf: (id) => id,
      load: async () => {
        loads += 1;
        return 'v1';
      },
      revalidate: async (_id, cached) => `${cached}+checked`,
    });
    await cache.get('a');
    clock.advance(TTL);
    const read = await cache.get('a');
    expect(read.outcome).toBe(CacheOutcome.Refreshed);
    expect(read.entry.value).toBe('v1+checked');
    expect(read.entry.expiresAt).toBe(clock.now() + TTL);
    expect(loads).toBe(1);
  });

  it('stamps entries with fetch and expiry times from the clock', async () => {
    const { upstream, cache, clock, stored } = setup();
    upstream.values.set('a', 'v1');
    const read = await cache.get('a');
    expect(read.entry).toEqual({
      value: 'v1',
      fetchedAt: clock.now(),
      expiresAt: clock.now() + TTL,
    });
    expect(stored).toEqual(['a=v1']);
  });

  it('loads in full after maxRevalidations re-stamps in a row', async () => {
    const clock = new ManualClock();
    const calls: string[] = [];
    const cache = new FreshnessCache<string, string>({
      clock,
      ttlMs: TTL,
      refreshAheadMs: 0,
      maxStaleMs: 0,
      maxEntries: 10,
      refreshAheadOnRead: false,
      maxRevalidations: 3,
      keyOf: (id) => id,
      load: async () => {
        calls.push('load');
        return 'v1';
      },
      revalidate: async (_id, cached) => {
        calls.push('revalidate');
        return cached;
      },
    });
    await cache.get('a');
    for (let i = 0; i < 5; i++) {
      clock.advance(TTL);
      await cache.get('a');
    }
    expect(calls).toEqual(['load', 'revalidate', 'revalidate', 'revalidate', 'load', 'revalidate']);
  });

  it.each([
    [ErrorCode.NotFound, 'ResourceNotFoundException'],
    [ErrorCode.AccessDenied, 'AccessDeniedException'],
  ])('evicts when revalidation fails with %s, without loading', async (code, errorType) => {
    const clock = new ManualClock();
    let loads = 0;
    const evicted: string[] = [];
    const cache = new FreshnessCache<string, string>({
      clock,
      ttlMs: TTL,
      refreshAheadMs: 0,
      maxStaleMs: MAX_STALE,
      maxEntries: 10,
      refreshAheadOnRead: false,
      keyOf: (id) => id,
      load: async () => {
        loads += 1;
        return 'v1';
      },
      revalidate: async () => {
        throw new SidecarError(code, 'gone', { errorType });
      },
      onEvicted: (id, why, value) => evicted.push(`${id}:${why}:${value}`),
    });
    await cache.get('a');
    clock.advance(TTL);
    await expect(cache.get('a')).rejects.toMatchObject({ code });
    expect(loads).toBe(1);
    expect(evicted).toEqual(['a:error:v1']);
    expect(cache.peek('a')).toBeUndefined();
  });
});
