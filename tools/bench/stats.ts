/** Latency sampling and summary statistics for `make bench`. */

/** Summary of one measured series, in microseconds. */
export interface Summary {
  readonly samples: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly meanUs: number;
  readonly minUs: number;
}

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Summarises durations given in nanoseconds. */
export function summarize(durationsNs: readonly number[]): Summary {
  const us = durationsNs.map((n) => n / 1000).sort((a, b) => a - b);
  const sum = us.reduce((a, b) => a + b, 0);
  return {
    samples: us.length,
    p50Us: percentile(us, 50),
    p99Us: percentile(us, 99),
    meanUs: us.length ? sum / us.length : Number.NaN,
    minUs: us[0] ?? Number.NaN,
  };
}

/**
 * Times `fn` `iterations` times after `warmup` untimed calls, sequentially.
 * Returns per-call durations in nanoseconds.
 */
export async function sample(
  fn: () => unknown,
  opts: { iterations: number; warmup: number },
): Promise<number[]> {
  for (let i = 0; i < opts.warmup; i++) await fn();
  const out = new Array<number>(opts.iterations);
  for (let i = 0; i < opts.iterations; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out[i] = Number(process.hrtime.bigint() - t0);
  }
  return out;
}

/** Median, p90 and range of a small series (e.g. cold starts), in the series' own unit. */
export interface Spread {
  readonly samples: number;
  readonly median: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
}

/** Summarises a small series of values (any unit) by nearest rank. */
export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    median: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}
