/** The performance goals, judged against one bench run. */
import type { ColdStartPhase } from './cold-start.ts';
import { fmtBytes, fmtMs, fmtUs } from './format.ts';
import type { MethodResult } from './lookups.ts';
import { LookupMethod } from './methods.ts';

/** One goal and how this run did. */
export interface GoalResult {
  readonly measure: string;
  readonly goal: string;
  readonly measured: string;
  readonly pass: boolean;
}

/** Limits from the issues. MB = 10^6 bytes. */
export const GOALS = {
  fileP99Us: 50,
  httpP99Us: 500,
  clientWarmP99Us: 20,
  coldStartMs: 100,
  rssBytes: 50e6,
  layerZipBytes: 1.5e6,
} as const;

/** The p99 goal of a lookup method in µs, if the issues set one. */
export function latencyGoalUs(method: LookupMethod): number | undefined {
  switch (method) {
    case LookupMethod.File:
      return GOALS.fileP99Us;
    case LookupMethod.HttpKeepAlive:
    case LookupMethod.HttpNewConnection:
      return GOALS.httpP99Us;
    case LookupMethod.ClientWarm:
      return GOALS.clientWarmP99Us;
    default:
      return undefined;
  }
}

/** What the goals are judged on. */
export interface GoalInputs {
  readonly methods: readonly MethodResult[];
  readonly coldStart: ColdStartPhase;
  readonly extensionRssBytes: number;
  readonly layerZipBytes: number;
}

function p99(methods: readonly MethodResult[], method: LookupMethod): number {
  return methods.find((m) => m.plan.method === method)?.summary.p99Us ?? Number.NaN;
}

/**
 * The cold start net of the fetch: median spawn → registered with one secret minus the
 * median prefetch GetSecretValue time.
 */
export function coldStartNetOfFetchMs(c: ColdStartPhase): number {
  return c.withSecret.median - c.fetch.median;
}

/** Judges every goal (a NaN measurement fails). */
export function judgeGoals(i: GoalInputs): GoalResult[] {
  const latency = (measure: string, method: LookupMethod, limitUs: number): GoalResult => {
    const v = p99(i.methods, method);
    return { measure, goal: `≤ ${limitUs} µs`, measured: fmtUs(v), pass: v <= limitUs };
  };
  const net = coldStartNetOfFetchMs(i.coldStart);
  return [
    latency('file lookup p99', LookupMethod.File, GOALS.fileP99Us),
    latency('HTTP lookup p99, keep-alive', LookupMethod.HttpKeepAlive, GOALS.httpP99Us),
    latency('HTTP lookup p99, new connection', LookupMethod.HttpNewConnection, GOALS.httpP99Us),
    latency('client library warm path p99', LookupMethod.ClientWarm, GOALS.clientWarmP99Us),
    {
      measure: 'cold start (spawn → registered, median) minus the fetch',
      goal: `≤ ${GOALS.coldStartMs} ms plus the fetch`,
      measured: `${fmtMs(i.coldStart.withSecret.median)} − ${fmtMs(i.coldStart.fetch.median)} fetch = ${fmtMs(net)}`,
      pass: net <= GOALS.coldStartMs,
    },
    {
      measure: 'extension RSS',
      goal: `≤ ${GOALS.rssBytes / 1e6} MB`,
      measured: fmtBytes(i.extensionRssBytes),
      pass: i.extensionRssBytes <= GOALS.rssBytes,
    },
    {
      measure: 'layer zip',
      goal: `≤ ${GOALS.layerZipBytes / 1e6} MB`,
      measured: fmtBytes(i.layerZipBytes),
      pass: i.layerZipBytes <= GOALS.layerZipBytes,
    },
  ];
}
