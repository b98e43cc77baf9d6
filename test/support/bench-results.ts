/** A complete, hand-made bench run for report tests (no measurement involved). */
import type { ColdStartPhase } from '../../tools/bench/cold-start.ts';
import type { MethodResult } from '../../tools/bench/lookups.ts';
import type { ManyIdsPhase } from '../../tools/bench/many-ids.ts';
import { FLAG_FLAVOURS } from '../../tools/bench/memory-flags.ts';
import { METHOD_PLANS } from '../../tools/bench/methods.ts';
import type { PeerResult } from '../../tools/bench/peers.ts';
import type { BenchResults } from '../../tools/bench/report.ts';
import { RieCase, type RieInitPhase } from '../../tools/bench/rie-init.ts';
import type { ProcessMemory } from '../../tools/bench/rss.ts';
import type { StartupPhase } from '../../tools/bench/startup.ts';
import type { Spread, Summary } from '../../tools/bench/stats.ts';

/** p50/p99 in µs per method, in METHOD_PLANS order. */
const LATENCY: Readonly<Record<string, readonly [number, number]>> = {
  file: [5, 8],
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

export function spreadOf(median: number): Spread {
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

const MIB = 2 ** 20;

/** Memory of `mib` MiB, up to 40 of them file-backed. */
export function memory(mib: number): ProcessMemory {
  const file = Math.min(40, mib / 2);
  return {
    rssBytes: mib * MIB,
    peakRssBytes: mib * MIB,
    anonBytes: (mib - file) * MIB,
    fileBytes: file * MIB,
  };
}

/** A peer with p50/p99 (µs), req/s and RSS after load (MiB). */
export function peerResult(
  peer: PeerResult['peer'],
  p50: number,
  p99: number,
  rps: number,
  rssMib: number,
): PeerResult {
  return {
    peer,
    latency: summary(p50, p99, 4500),
    requestsPerSecond: rps,
    cpuUsPerRequest: 1e6 / rps,
    memoryAfterWarmup: memory(rssMib - 2),
    memoryAfterLoad: memory(rssMib),
    requests: 300_000,
  };
}

/** Peers where ours is within every goal of the floor and the agent. */
export function peers(over: Partial<Record<PeerResult['peer'], PeerResult>> = {}): PeerResult[] {
  return [
    over.node ?? peerResult('node', 204, 330, 37_000, 48),
    over.standalone ?? peerResult('standalone', 210, 340, 36_000, 70),
    over.agent ?? peerResult('agent', 180, 300, 70_000, 14),
    over.floor ?? peerResult('floor', 200, 310, 40_000, 47),
  ];
}

/** Start-up and expiry; ours is within 1.2× the agent after expiry. */
export function startup(oursExpiry = 5.5, agentExpiry = 5): StartupPhase {
  return {
    firstOk: {
      node: spreadOf(150),
      standalone: spreadOf(160),
      'standalone-compile-cache': spreadOf(150),
      agent: spreadOf(22),
    },
    afterExpiry: { node: spreadOf(oursExpiry), agent: spreadOf(agentExpiry) },
    expiryCpuMs: { node: 4.2, agent: 0.6 },
  };
}

/**
 * RIE first invokes: the layer adds `parallel` / `dflt` ms to the Node function and
 * `pythonParallel` ms to the Python one in parallel mode.
 */
export function rie(parallel = 15, dflt = 60, pythonParallel = 5): RieInitPhase {
  return {
    firstInvoke: {
      [RieCase.NodeNoLayer]: spreadOf(50),
      [RieCase.NodeBeforeRuntime]: spreadOf(50 + dflt),
      [RieCase.NodeParallel]: spreadOf(50 + parallel),
      [RieCase.PythonNoLayer]: spreadOf(200),
      [RieCase.PythonBeforeRuntime]: spreadOf(300),
      [RieCase.PythonParallel]: spreadOf(200 + pythonParallel),
    },
  };
}

/** 5,000 ids in blocks of 500: RSS grows by `growthMiB`, cached p99 by `hotRatio`. */
export function manyIds(growthMiB = 2, hotRatio = 1.1): ManyIdsPhase {
  return {
    blocks: Array.from({ length: 10 }, (_, i) => ({
      idsRead: (i + 1) * 500,
      rssBytes: (60 + (growthMiB * i) / 9) * MIB,
      missP50Us: 2_000,
      missP99Us: 6_000,
      hotP50Us: 120,
      hotP99Us: 300 * (1 + ((hotRatio - 1) * i) / 9),
    })),
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
      extensionMemory: memory(40e6 / MIB),
    },
    coldStart: coldStart(),
    layers: {
      node: { zipBytes: 200_000, unzippedBytes: 700_000, files: 20 },
      'standalone-x86_64': { zipBytes: 41e6, unzippedBytes: 108e6, files: 22 },
      'standalone-arm64': { zipBytes: 41e6, unzippedBytes: 107e6, files: 22 },
    },
    peers: { results: peers(), skipped: [] },
    instructions: {
      perRequest: { node: 66_000, floor: 64_000, agent: 37_000 },
      valgrind: 'valgrind-3.19.0',
      skipped: [],
    },
    startup: startup(),
    flags: FLAG_FLAVOURS.flatMap((flavour) => [
      {
        label: 'none (Node defaults)',
        flags: '',
        flavour,
        memory: memory(70),
        requestsPerSecond: 40_000,
      },
      {
        label: '--max-semi-space-size=2 (shipped on Node 22)',
        flags: '--max-semi-space-size=2',
        flavour,
        memory: memory(62),
        requestsPerSecond: 40_500,
      },
    ]),
    manyIds: manyIds(),
    rie: rie(),
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
    idleNode: memory(30e6 / MIB),
    runtimeSeconds: 31,
    ...over,
  };
}
