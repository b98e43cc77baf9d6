/**
 * The performance goals (issue 14), judged against one bench run. A goal whose inputs were
 * not measured (no agent, no RIE) fails and says why.
 */
import type { ColdStartPhase } from './cold-start.ts';
import { fmtBytes, fmtMs, fmtRatio, fmtUs } from './format.ts';
import type { MethodResult } from './lookups.ts';
import { LookupMethod } from './methods.ts';
import { type Peer, type PeerResult, Peer as Peers } from './peers.ts';
import { RieCase, type RieInitPhase } from './rie-init.ts';
import type { StartupPhase } from './startup.ts';
import type { LayerSize } from './workspace.ts';

/** One goal and how this run did. */
export interface GoalResult {
  readonly measure: string;
  readonly goal: string;
  readonly measured: string;
  readonly pass: boolean;
}

/** Limits. MiB = 2^20 bytes, MB = 10^6 bytes. */
export const GOALS = {
  httpP50VsFloor: 1.05,
  httpP99VsFloor: 1.1,
  throughputVsFloor: 0.9,
  rssAfterLoadBytes: 50 * 2 ** 20,
  initAddedParallelMs: 20,
  initAddedDefaultSlackMs: 10,
  expiryVsAgent: 1.2,
  fileP99Us: 10,
  clientWarmP50Us: 0.5,
  nodeLayerZipBytes: 1.5e6,
  /** Lambda's limits: a direct upload, and the function plus all its layers unzipped. */
  standaloneZipBytes: 50e6,
  standaloneUnzippedBytes: 250e6,
} as const;

/** What the goals are judged on. */
export interface GoalInputs {
  readonly methods: readonly MethodResult[];
  readonly peers: readonly PeerResult[];
  readonly coldStart: ColdStartPhase;
  readonly startup: StartupPhase;
  readonly rie: RieInitPhase;
  readonly layers: Readonly<Record<string, LayerSize>>;
}

function peer(i: GoalInputs, p: Peer): PeerResult | undefined {
  return i.peers.find((r) => r.peer === p);
}

function method(i: GoalInputs, m: LookupMethod): MethodResult | undefined {
  return i.methods.find((r) => r.plan.method === m);
}

const MIB = 2 ** 20;
const mib = (b: number): string => `${(b / MIB).toFixed(1)} MiB`;

/** An INIT difference as measured; below zero, the two medians' spread, said so. */
function addedMs(ms: number): string {
  return ms < 0 ? `${fmtMs(ms)} (within the spread: no measurable cost)` : fmtMs(ms);
}

/** INIT the layer adds under RIE: median first invoke with it minus without it. */
export function initAddedMs(rie: RieInitPhase, withLayer: RieCase, without: RieCase): number {
  const a = rie.firstInvoke[withLayer]?.median;
  const b = rie.firstInvoke[without]?.median;
  return a === undefined || b === undefined ? Number.NaN : a - b;
}

function ratioGoal(
  measure: string,
  limit: number,
  atMost: boolean,
  ours: number | undefined,
  theirs: number | undefined,
  show: (v: number) => string,
  versus: string,
): GoalResult {
  const goal = `${atMost ? '≤' : '≥'} ${limit}× ${versus}`;
  if (ours === undefined || theirs === undefined || !Number.isFinite(ours * theirs)) {
    return { measure, goal, measured: `not measured (no ${versus})`, pass: false };
  }
  const r = ours / theirs;
  return {
    measure,
    goal,
    measured: `${show(ours)} vs ${show(theirs)} = ${fmtRatio(r)}`,
    pass: atMost ? r <= limit : r >= limit,
  };
}

/** Judges every goal. */
export function judgeGoals(i: GoalInputs): GoalResult[] {
  const node = peer(i, Peers.Node);
  const standalone = peer(i, Peers.Standalone);
  const floor = peer(i, Peers.Floor);
  const rps = (v: number): string => `${Math.round(v).toLocaleString('en-US')} req/s`;
  const rieNote = i.rie.skipped === undefined ? '' : ` (RIE: ${i.rie.skipped})`;
  const parallel = initAddedMs(i.rie, RieCase.NodeParallel, RieCase.NodeNoLayer);
  const parallelPython = initAddedMs(i.rie, RieCase.PythonParallel, RieCase.PythonNoLayer);
  const dflt = initAddedMs(i.rie, RieCase.NodeBeforeRuntime, RieCase.NodeNoLayer);
  const defaultLimit =
    i.coldStart.nodeStart.median + i.coldStart.fetch.median + GOALS.initAddedDefaultSlackMs;
  const expiryOurs = i.startup.afterExpiry.node?.median;
  const expiryAgent = i.startup.afterExpiry.agent?.median;
  const file = method(i, LookupMethod.File)?.summary.p99Us ?? Number.NaN;
  const warm = method(i, LookupMethod.ClientWarm)?.summary.p50Us ?? Number.NaN;
  const nodeLayer = i.layers.node;
  const standaloneLayers = Object.entries(i.layers).filter(([k]) => k.startsWith('standalone'));
  const biggestZip = Math.max(...standaloneLayers.map(([, l]) => l.zipBytes));
  const biggestTree = Math.max(...standaloneLayers.map(([, l]) => l.unzippedBytes));
  return [
    ratioGoal(
      'HTTP p50, keep-alive (node flavour)',
      GOALS.httpP50VsFloor,
      true,
      node?.latency.p50Us,
      floor?.latency.p50Us,
      fmtUs,
      'the node floor',
    ),
    ratioGoal(
      'HTTP p99, keep-alive (node flavour)',
      GOALS.httpP99VsFloor,
      true,
      node?.latency.p99Us,
      floor?.latency.p99Us,
      fmtUs,
      'the node floor',
    ),
    ratioGoal(
      'throughput, wrk (node flavour)',
      GOALS.throughputVsFloor,
      false,
      node?.requestsPerSecond,
      floor?.requestsPerSecond,
      rps,
      'the node floor',
    ),
    {
      measure: 'RSS after the load (≥ 20,000 requests), node flavour',
      goal: `≤ ${mib(GOALS.rssAfterLoadBytes)}`,
      measured:
        node === undefined
          ? 'not measured'
          : `${mib(node.memoryAfterLoad.rssBytes)} (standalone flavour: ${standalone ? mib(standalone.memoryAfterLoad.rssBytes) : 'n/a'})`,
      pass: node !== undefined && node.memoryAfterLoad.rssBytes <= GOALS.rssAfterLoadBytes,
    },
    {
      measure: 'INIT added under RIE, parallel mode (Node function)',
      goal: `≤ ${GOALS.initAddedParallelMs} ms`,
      measured: Number.isFinite(parallel) ? addedMs(parallel) : `not measured${rieNote}`,
      pass: parallel <= GOALS.initAddedParallelMs,
    },
    {
      measure: 'INIT added under RIE, parallel mode (Python function, heavy import)',
      goal: `≤ ${GOALS.initAddedParallelMs} ms`,
      measured: Number.isFinite(parallelPython)
        ? addedMs(parallelPython)
        : `not measured${rieNote}`,
      pass: parallelPython <= GOALS.initAddedParallelMs,
    },
    {
      measure: 'INIT added under RIE, default mode (Node function)',
      goal: `≤ Node's start-up + the fetch + ${GOALS.initAddedDefaultSlackMs} ms (here ${fmtMs(defaultLimit)})`,
      measured: Number.isFinite(dflt) ? addedMs(dflt) : `not measured${rieNote}`,
      pass: dflt <= defaultLimit,
    },
    ratioGoal(
      'first read after expiry',
      GOALS.expiryVsAgent,
      true,
      expiryOurs,
      expiryAgent,
      (v) => `${v.toFixed(1)} ms`,
      "the agent's",
    ),
    {
      measure: 'file read p99',
      goal: `≤ ${GOALS.fileP99Us} µs`,
      measured: fmtUs(file),
      pass: file <= GOALS.fileP99Us,
    },
    {
      measure: 'client library warm path p50',
      goal: `≤ ${GOALS.clientWarmP50Us} µs`,
      measured: fmtUs(warm),
      pass: warm <= GOALS.clientWarmP50Us,
    },
    {
      measure: 'node flavour zip',
      goal: `≤ ${GOALS.nodeLayerZipBytes / 1e6} MB`,
      measured: nodeLayer ? fmtBytes(nodeLayer.zipBytes) : 'n/a',
      pass: nodeLayer !== undefined && nodeLayer.zipBytes <= GOALS.nodeLayerZipBytes,
    },
    {
      measure: 'standalone flavour, largest zip / unzipped',
      goal: `≤ ${GOALS.standaloneZipBytes / 1e6} MB / ≤ ${GOALS.standaloneUnzippedBytes / 1e6} MB (Lambda's limits)`,
      measured:
        standaloneLayers.length === 0
          ? 'n/a'
          : `${(biggestZip / 1e6).toFixed(1)} MB / ${(biggestTree / 1e6).toFixed(1)} MB`,
      pass:
        standaloneLayers.length > 0 &&
        biggestZip <= GOALS.standaloneZipBytes &&
        biggestTree <= GOALS.standaloneUnzippedBytes,
    },
  ];
}
