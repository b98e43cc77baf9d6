/**
 * Lookup latency, measured where a real function does it: inside a handler running in the
 * Lambda sandbox next to the real extension (thawed during the invoke). Each invoke times N
 * sequential lookups of the same secret by one method, in interleaved rounds; then the
 * extension's RSS is read.
 */
import type { LambdaSandbox } from '../sandbox/index.ts';
import { startBaselineServer } from './baseline-server.ts';
import {
  LOOKUP_ROUNDS,
  type LookupMethod,
  type LookupResult,
  METHOD_PLANS,
  type MethodPlan,
} from './methods.ts';
import { type ProcessMemory, processMemory } from './rss.ts';
import { benchSandbox, extensionPid, invokeOk } from './sandbox-run.ts';
import { type Summary, summarize } from './stats.ts';
import type { Workspace } from './workspace.ts';

/** One measured method. */
export interface MethodResult {
  readonly plan: MethodPlan;
  readonly summary: Summary;
}

/** Everything the lookup phase measured. */
export interface LookupPhase {
  readonly methods: readonly MethodResult[];
  /** The extension's memory after serving every lookup. */
  readonly extensionMemory: ProcessMemory;
}

/**
 * Runs every method of {@link METHOD_PLANS} in one sandbox against moto at `endpoint`, in
 * {@link LOOKUP_ROUNDS} interleaved rounds. The baseline HTTP server runs in this process
 * (idle while the invoke runs).
 */
export async function runLookups(
  ws: Workspace,
  endpoint: string,
  progress: (line: string) => void,
): Promise<LookupPhase> {
  const baseline = await startBaselineServer();
  let sandbox: LambdaSandbox | undefined;
  try {
    sandbox = await benchSandbox(ws, {
      handler: 'index.handler',
      secretFolder: 'secrets-lookups',
      endpoint,
      baselinePort: baseline.port,
      timeoutMs: 60_000,
    });
    await sandbox.init();
    const durations = new Map<LookupMethod, number[]>(METHOD_PLANS.map((p) => [p.method, []]));
    for (let round = 0; round < LOOKUP_ROUNDS; round++) {
      for (const plan of METHOD_PLANS) {
        const iterations = Math.ceil(plan.iterations / LOOKUP_ROUNDS);
        const payload = await invokeOk(sandbox, {
          op: 'lookup',
          method: plan.method,
          iterations,
          warmup: Math.ceil(plan.warmup / LOOKUP_ROUNDS),
        });
        const { durationsNs } = payload as LookupResult;
        if (!Array.isArray(durationsNs) || durationsNs.length !== iterations) {
          throw new Error(`${plan.method}: the handler returned no durations`);
        }
        durations.get(plan.method)?.push(...durationsNs);
      }
      progress(`  round ${round + 1}/${LOOKUP_ROUNDS}`);
    }
    const methods = METHOD_PLANS.map((plan) => {
      const summary = summarize(durations.get(plan.method) ?? []);
      progress(
        `  ${plan.label.padEnd(32)} p50 ${summary.p50Us.toFixed(1)} µs  p99 ${summary.p99Us.toFixed(1)} µs  (${summary.samples} calls)`,
      );
      return { plan, summary };
    });
    const extensionMemory = await processMemory(extensionPid(sandbox));
    return { methods, extensionMemory };
  } finally {
    await sandbox?.shutdown();
    await baseline.close();
  }
}
