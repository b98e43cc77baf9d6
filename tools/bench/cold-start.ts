/**
 * The cold start the extension adds, from the sandbox's InitReport over several fresh
 * execution environments: spawn → registered with one secret prefetched and with none,
 * the prefetch's own GetSecretValue time (the extension's UpstreamLatency metric), and the
 * whole init with and without the layer. Variants run round-robin so drift hits all alike.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { MetricName } from '../../shared/metrics.ts';
import type { InitReport } from '../sandbox/index.ts';
import { emfValues } from './emf.ts';
import { benchSandbox } from './sandbox-run.ts';
import { type Spread, spread } from './stats.ts';
import type { Workspace } from './workspace.ts';

/** Fresh environments per variant. */
export const COLD_START_ROUNDS = 12;

/** Everything the cold-start phase measured (milliseconds). */
export interface ColdStartPhase {
  /** Extension spawn → registered, one secret prefetched. */
  readonly withSecret: Spread;
  /** Extension spawn → registered, nothing configured: the pure overhead. */
  readonly noSecret: Spread;
  /** The prefetch GetSecretValue as the extension timed it (whole SDK call, ms resolution). */
  readonly fetch: Spread;
  /** Whole init (extension + runtime until both wait in /next) with the layer, one secret. */
  readonly initWithLayer: Spread;
  /** Whole init without the layer. */
  readonly initWithoutLayer: Spread;
  /** `node -e 0` spawn → exit: what starting Node itself costs on this machine, for scale. */
  readonly nodeStart: Spread;
}

type Variant = 'withSecret' | 'noSecret' | 'noLayer';

interface Sample {
  readonly init: InitReport;
  readonly fetchMs: readonly number[];
}

async function coldStart(
  ws: Workspace,
  endpoint: string,
  variant: Variant,
  round: number,
): Promise<Sample> {
  const sandbox = await benchSandbox(ws, {
    handler: 'noop.handler',
    secretFolder: `secrets-cold-${variant}-${round}`,
    withLayer: variant !== 'noLayer',
    endpoint,
    withSecret: variant === 'withSecret',
  });
  let init: InitReport;
  try {
    init = await sandbox.init();
  } finally {
    await sandbox.shutdown();
  }
  const lines = sandbox.output.filter((l) => l.source.startsWith('extension:')).map((l) => l.line);
  return { init, fetchMs: emfValues(lines, MetricName.UpstreamLatency) };
}

/** Spawn → exit of an empty `node -e 0`, in ms. */
async function nodeStartMs(): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`node -e 0 exited with ${code}`);
  return performance.now() - t0;
}

function registeredMs(s: Sample): number {
  const ext = s.init.extensions[0];
  if (!ext) throw new Error('the extension did not register');
  return ext.registeredAt - ext.spawnedAt;
}

/** Runs {@link COLD_START_ROUNDS} rounds of every variant against moto at `endpoint`. */
export async function runColdStarts(
  ws: Workspace,
  endpoint: string,
  progress: (line: string) => void,
): Promise<ColdStartPhase> {
  const samples: Record<Variant, Sample[]> = { withSecret: [], noSecret: [], noLayer: [] };
  const nodeStart: number[] = [];
  for (let round = 0; round < COLD_START_ROUNDS; round++) {
    nodeStart.push(await nodeStartMs());
    for (const variant of ['withSecret', 'noSecret', 'noLayer'] as const) {
      samples[variant].push(await coldStart(ws, endpoint, variant, round));
    }
    progress(`  round ${round + 1}/${COLD_START_ROUNDS}`);
  }
  const fetch = samples.withSecret.flatMap((s) => s.fetchMs);
  if (fetch.length === 0) throw new Error('the extension reported no UpstreamLatency at shutdown');
  return {
    withSecret: spread(samples.withSecret.map(registeredMs)),
    noSecret: spread(samples.noSecret.map(registeredMs)),
    fetch: spread(fetch),
    initWithLayer: spread(samples.withSecret.map((s) => s.init.durationMs)),
    initWithoutLayer: spread(samples.noLayer.map((s) => s.init.durationMs)),
    nodeStart: spread(nodeStart),
  };
}
