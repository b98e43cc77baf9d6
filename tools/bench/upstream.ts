/**
 * Upstream calls under steady traffic, measured: one environment with a short TTL gets an
 * invoke every {@link TRAFFIC_PERIOD_MS}; each invoke reads the secret once through the
 * sidecar client library, once through Powertools `getSecret` (maxAge = the TTL) and once
 * with a direct GetSecretValue. A counting proxy in front of moto records who called.
 */
import { ConfigLimits } from '../../extension/config.ts';
import type { LambdaSandbox } from '../sandbox/index.ts';
import { Caller, startCountingProxy, type UpstreamCall } from './counting-proxy.ts';
import { benchSandbox, invokeOk } from './sandbox-run.ts';
import { type CallsPerHour, expectedCalls, type TrafficProfile } from './upstream-model.ts';
import type { Workspace } from './workspace.ts';

/** TTL of the measurement (short, so a few seconds show several refreshes). */
export const TRAFFIC_TTL_SECONDS = 2;
/** Length of the steady traffic. */
export const TRAFFIC_WINDOW_MS = 10_000;
/** One invoke per period. */
export const TRAFFIC_PERIOD_MS = 100;

/** What the traffic phase saw. */
export interface UpstreamPhase {
  /** The profile the measurement ran with (actual request rate). */
  readonly profile: TrafficProfile;
  readonly invokes: number;
  /** From the first invoke to the end of the last (the prefetch before it is the start-up call). */
  readonly windowSeconds: number;
  readonly measured: CallsPerHour;
  /** What the model predicts for the same window and rate. */
  readonly predicted: CallsPerHour;
  /** Calls by caller and action, e.g. `sidecar GetSecretValue: 5`. */
  readonly byAction: Readonly<Record<string, number>>;
}

function count(calls: readonly UpstreamCall[], caller: Caller): number {
  return calls.filter((c) => c.caller === caller).length;
}

/** Runs the steady-traffic measurement against moto at `motoEndpoint`. */
export async function runUpstream(
  ws: Workspace,
  motoEndpoint: string,
  progress: (line: string) => void,
): Promise<UpstreamPhase> {
  const proxy = await startCountingProxy(motoEndpoint);
  let sandbox: LambdaSandbox | undefined;
  try {
    sandbox = await benchSandbox(ws, {
      handler: 'index.handler',
      secretFolder: 'secrets-traffic',
      endpoint: proxy.endpoint,
      ttlSeconds: TRAFFIC_TTL_SECONDS,
      timeoutMs: 10_000,
    });
    await sandbox.init();
    const started = Date.now();
    let invokes = 0;
    const end = started + TRAFFIC_WINDOW_MS;
    while (Date.now() < end) {
      const tick = Date.now();
      await invokeOk(sandbox, { op: 'traffic', powertoolsMaxAgeSeconds: TRAFFIC_TTL_SECONDS });
      invokes += 1;
      const rest = TRAFFIC_PERIOD_MS - (Date.now() - tick);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
    const windowSeconds = (Date.now() - started) / 1000;
    const calls = [...proxy.calls];
    const profile: TrafficProfile = {
      requestsPerSecond: invokes / windowSeconds,
      ttlSeconds: TRAFFIC_TTL_SECONDS,
      refreshAheadPercent: ConfigLimits.refreshAheadPercent.default,
      powertoolsMaxAgeSeconds: TRAFFIC_TTL_SECONDS,
    };
    const byAction: Record<string, number> = {};
    for (const c of calls) {
      const key = `${c.caller} ${c.action}`;
      byAction[key] = (byAction[key] ?? 0) + 1;
    }
    const measured = {
      sidecar: count(calls, Caller.Sidecar),
      powertools: count(calls, Caller.Powertools),
      direct: count(calls, Caller.Direct),
    };
    progress(
      `  ${invokes} invokes in ${windowSeconds.toFixed(1)} s: sidecar ${measured.sidecar}, Powertools ${measured.powertools}, direct ${measured.direct} upstream calls`,
    );
    return {
      profile,
      invokes,
      windowSeconds,
      measured,
      predicted: expectedCalls(profile, windowSeconds),
      byAction,
    };
  } finally {
    await sandbox?.shutdown();
    await proxy.close();
  }
}
