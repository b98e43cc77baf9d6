/**
 * The cache's state machine under arbitrary sequences of time passing (both clocks, and
 * the wall clock alone, either way), upstream changes and failures, reads, forced reads
 * and refresh-ahead. A small model of what AWS last said checks, after every step:
 *  - a value AWS stopped serving (NotFound, AccessDenied, a refusal) is never served;
 *  - a hit is never older than the TTL on the monotonic clock: wall-clock jumps cannot extend it;
 *  - a stale value is served only after a transient failure, within the staleness bound;
 *  - every failure is a SidecarError; concurrent reads of one key make one upstream call.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CacheOutcome, FreshnessCache } from '../../../extension/cache.ts';
import { ManualClock } from '../../../shared/clock.ts';
import { ErrorCode, SidecarError } from '../../../shared/errors.ts';

const TTL = 1_000;
const MAX_STALE = 2_000;

type Upstream =
  | { kind: 'value'; value: string }
  | { kind: 'transient' }
  | {
      kind: 'fatal';
      code:
        | typeof ErrorCode.NotFound
        | typeof ErrorCode.AccessDenied
        | typeof ErrorCode.UpstreamRejected;
    };

type Op =
  | { op: 'advance'; ms: number }
  | { op: 'jumpWall'; ms: number }
  | { op: 'upstream'; to: Upstream }
  | { op: 'read'; concurrent: number }
  | { op: 'refreshNow' }
  | { op: 'refreshDue' };

const upstream: fc.Arbitrary<Upstream> = fc.oneof(
  fc.constantFrom('v1', 'v2', 'v3').map((value) => ({ kind: 'value', value }) as const),
  fc.constant({ kind: 'transient' } as const),
  fc
    .constantFrom(ErrorCode.NotFound, ErrorCode.AccessDenied, ErrorCode.UpstreamRejected)
    .map((code) => ({ kind: 'fatal', code }) as const),
);

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.integer({ min: 0, max: 2_500 }).map((ms) => ({ op: 'advance', ms }) as const),
  fc.integer({ min: -86_400_000, max: 86_400_000 }).map((ms) => ({ op: 'jumpWall', ms }) as const),
  upstream.map((to) => ({ op: 'upstream', to }) as const),
  fc.integer({ min: 1, max: 4 }).map((concurrent) => ({ op: 'read', concurrent }) as const),
  fc.constant({ op: 'refreshNow' } as const),
  fc.constant({ op: 'refreshDue' } as const),
);

describe('FreshnessCache, for any sequence of events', () => {
  it('never serves what AWS stopped serving, never extends freshness, and stays stale only within bounds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const clock = new ManualClock();
        let state: Upstream = { kind: 'value', value: 'v1' };
        let calls = 0;
        const cache = new FreshnessCache<string, string>({
          clock,
          ttlMs: TTL,
          refreshAheadMs: 200,
          maxStaleMs: MAX_STALE,
          failureBackoffMs: 300,
          maxEntries: 10,
          refreshAheadOnRead: false,
          keyOf: (k) => k,
          load: async () => {
            calls += 1;
            await Promise.resolve();
            if (state.kind === 'value') return state.value;
            if (state.kind === 'transient') {
              throw new SidecarError(ErrorCode.UpstreamUnavailable, 'down');
            }
            throw new SidecarError(state.code, 'refused');
          },
        });
        cache.pin('k');
        // The model: what the last upstream answer was, and when a value was last stored.
        let lastAnswer: 'value' | 'transient' | 'fatal' | undefined;
        let storedMono: number | undefined;
        let lastServed: string | undefined;
        const observe = (before: number) => {
          // An upstream call happened: the state at that moment is what AWS said.
          if (calls > before) {
            lastAnswer = state.kind;
            if (state.kind === 'value') storedMono = clock.monotonic();
            if (state.kind === 'fatal') storedMono = undefined;
          }
        };
        const check = (read: { outcome: string; entry: { value: string } }) => {
          expect(lastAnswer).not.toBe('fatal');
          expect(storedMono).toBeDefined();
          const age = clock.monotonic() - (storedMono ?? 0);
          if (read.outcome === CacheOutcome.Hit) expect(age).toBeLessThan(TTL);
          if (read.outcome === CacheOutcome.Stale) {
            expect(lastAnswer).toBe('transient');
            expect(age).toBeLessThan(TTL + MAX_STALE);
          }
          lastServed = read.entry.value;
        };
        for (const o of ops) {
          const before = calls;
          switch (o.op) {
            case 'advance':
              clock.advance(o.ms);
              break;
            case 'jumpWall':
              clock.jumpWall(o.ms);
              break;
            case 'upstream':
              state = o.to;
              break;
            case 'refreshDue':
              await cache.refreshDue();
              observe(before);
              break;
            case 'refreshNow':
            case 'read': {
              const n = o.op === 'read' ? o.concurrent : 1;
              const settled = await Promise.allSettled(
                Array.from({ length: n }, () =>
                  cache.get('k', { refreshNow: o.op === 'refreshNow' }),
                ),
              );
              expect(calls - before).toBeLessThanOrEqual(1);
              observe(before);
              for (const s of settled) {
                if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(SidecarError);
                else check(s.value);
              }
              break;
            }
          }
        }
        expect(lastServed === undefined || ['v1', 'v2', 'v3'].includes(lastServed)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
