import { describe, expect, it } from 'vitest';
import { percentile, sample, spread, summarize } from '../../../tools/bench/stats.ts';

describe('percentile', () => {
  it.each([
    [50, 5],
    [90, 9],
    [99, 10],
    [100, 10],
    [0, 1],
  ])('p%i of 1..10 is %i by nearest rank', (p, expected) => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], p)).toBe(expected);
  });

  it('is NaN for an empty series', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('summarize', () => {
  it('converts nanoseconds to microseconds and sorts before ranking', () => {
    const s = summarize([3000, 1000, 2000, 100_000]);
    expect(s).toEqual({ samples: 4, p50Us: 2, p99Us: 100, meanUs: 26.5, minUs: 1 });
  });

  it('reports NaN figures for no samples', () => {
    const s = summarize([]);
    expect(s.samples).toBe(0);
    expect(s.p50Us).toBeNaN();
    expect(s.meanUs).toBeNaN();
  });
});

describe('spread', () => {
  it('gives median, p90 and range of unsorted values', () => {
    expect(spread([40, 10, 30, 20, 100])).toEqual({
      samples: 5,
      median: 30,
      p90: 100,
      min: 10,
      max: 100,
    });
  });

  it('does not reorder the caller’s array', () => {
    const values = [3, 1, 2];
    spread(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('sample', () => {
  it('calls the function warm-up plus iterations times and returns one duration per timed call', async () => {
    let calls = 0;
    const durations = await sample(
      async () => {
        calls += 1;
      },
      { iterations: 7, warmup: 3 },
    );
    expect(calls).toBe(10);
    expect(durations).toHaveLength(7);
    for (const d of durations) expect(d).toBeGreaterThanOrEqual(0);
  });
});
