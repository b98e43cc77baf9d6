/** A complete, hand-made bench run for report tests (no measurement involved). */
import type { ColdStartPhase } from '../../tools/bench/cold-start.ts';
import type { MethodResult } from '../../tools/bench/lookups.ts';
import { METHOD_PLANS } from '../../tools/bench/methods.ts';
import type { BenchResults } from '../../tools/bench/report.ts';
import type { Spread, Summary } from '../../tools/bench/stats.ts';

/** p50/p99 in µs per method, in METHOD_PLANS order. */
const LATENCY: Readonly<Record<string, readonly [number, number]>> = {
  file: [10, 20],
  'file-async': [90, 600],
  'http-keepalive': [100, 400],
  'http-new-connection': [200, 450],
  'http-baseline': [80, 300],
  'client-warm': [0.2, 0.4],
  powertools: [0.8, 1.6],
  direct: [5000, 20_000],
};

function summary(p50Us: number, p99Us: number, samples: number): Summary {
  return { samples, p50Us, p99Us, meanUs: (p50Us + p99Us) / 2, minUs: p50Us / 2 };
}

function spreadOf(median: number): Spread {
  return { samples: 8, median, p90: median * 1.5, min: median * 0.8, max: median * 2 };
}

/** Methods with the latencies above. */
export function methods(
  override: Partial<Record<string, readonly [number, number]>> = {},
): MethodResult[] {
  return METHOD_PLANS.map((plan) => {
    const [p50, p99] = override[plan.method] ?? LATENCY[plan.method] ?? [1, 1];
    return { plan, summary: summary(p50, p99, plan.iterations) };
  });
}

/** A cold start whose net-of-fetch median is `registered - fetch`. */
export function coldStart(registered = 80, fetch = 20): ColdStartPhase {
  return {
    withSecret: spreadOf(registered),
    noSecret: spreadOf(registered - fetch),
    fetch: spreadOf(fetch),
    initWithLayer: spreadOf(registered + 60),
    initWithoutLayer: spreadOf(60),
    nodeStart: spreadOf(40),
  };
}

/** The whole run; every goal passes unless overridden. */
export function results(over: Partial<BenchResults> = {}): BenchResults {
  return {
    date: '2026-11-23T19:00:00.000Z',
    machine: {
      cpu: 'Test CPU 3000',
      cores: 2,
      memoryBytes: 8 * 2 ** 30,
      node: 'v20.20.2',
      os: 'Debian GNU/Linux 12 (bookworm), Linux 6.1',
      loadAverage: 0.5,
    },
    lookups: {
      methods: methods(),
      extensionMemory: { rssBytes: 40e6, peakRssBytes: 42e6 },
    },
    coldStart: coldStart(),
    layer: { zipBytes: 200_000, unzippedBytes: 700_000, files: 2 },
    upstream: {
      profile: {
        requestsPerSecond: 10,
        ttlSeconds: 2,
        refreshAheadPercent: 20,
        powertoolsMaxAgeSeconds: 2,
      },
      invokes: 100,
      windowSeconds: 10,
      measured: { sidecar: 7, powertools: 5, direct: 100 },
      predicted: { sidecar: 7.25, powertools: 6, direct: 100 },
      byAction: { 'sidecar GetSecretValue': 1, 'sidecar DescribeSecret': 6 },
    },
    idleNode: { rssBytes: 30e6, peakRssBytes: 30e6 },
    runtimeSeconds: 31,
    ...over,
  };
}
