/**
 * Renders docs/BENCHMARKS.md from one bench run: machine, goals with pass/fail, lookup
 * latency with ratios next to absolute figures, cold start, memory, layer size and
 * upstream calls. Pure: everything it shows comes in through {@link BenchResults}.
 */
import type { Bar } from './chart.ts';
import type { ColdStartPhase } from './cold-start.ts';
import { fmtBytes, fmtCount, fmtMs, fmtRatio, fmtUs, mdTable } from './format.ts';
import { GOALS, initAddedMs, judgeGoals } from './goals.ts';
import { WRK } from './http-load.ts';
import { type CountedPeer, INSTRUCTION_PLAN, type InstructionsPhase } from './instructions.ts';
import type { LookupPhase, MethodResult } from './lookups.ts';
import type { MachineInfo } from './machine.ts';
import {
  judgeManyIds,
  MANY_IDS,
  MANY_IDS_BOUNDS,
  MANY_IDS_CACHE_SIZE,
  type ManyIdsPhase,
} from './many-ids.ts';
import { type FlagFlavour, type FlagResult, SHIPPED } from './memory-flags.ts';
import { LOOKUP_ROUNDS, LookupMethod } from './methods.ts';
import { PEER_LABELS, PEER_PLAN, Peer, type PeerPhase, type PeerResult } from './peers.ts';
import { RIE_ROUNDS, RieCase, type RieInitPhase } from './rie-init.ts';
import type { ProcessMemory } from './rss.ts';
import { STARTUP_PLAN, type StartupPhase } from './startup.ts';
import type { Spread } from './stats.ts';
import type { UpstreamPhase } from './upstream.ts';
import { callsPerHour, type TrafficProfile } from './upstream-model.ts';
import type { LayerSize } from './workspace.ts';

/** Everything one run measured. */
export interface BenchResults {
  /** ISO timestamp of the run. */
  readonly date: string;
  readonly machine: MachineInfo;
  readonly lookups: LookupPhase;
  readonly coldStart: ColdStartPhase;
  /** Each flavour's zip and tree (`node`, `standalone-x86_64`, `standalone-arm64`). */
  readonly layers: Readonly<Record<string, LayerSize>>;
  /** Next to the agent and the floor. */
  readonly peers: PeerPhase;
  /** Instructions per cached read under callgrind. */
  readonly instructions: InstructionsPhase;
  readonly startup: StartupPhase;
  /** Node options measured on the extension. */
  readonly flags: readonly FlagResult[];
  /** 5,000 distinct ids through one extension. */
  readonly manyIds: ManyIdsPhase;
  readonly rie: RieInitPhase;
  readonly upstream: UpstreamPhase;
  /** An idle `node` process on the same machine, for scale. */
  readonly idleNode: ProcessMemory;
  /** Wall-clock time of the whole bench. */
  readonly runtimeSeconds: number;
}

/** The file name of the chart, next to the report. */
export const CHART_FILE = 'benchmarks.svg';

/** Steady traffic the hourly projection assumes, in requests per second per environment. */
export const PROJECTION_RATES = [1, 10] as const;
/** TTL of the hourly projection (the extension's default). */
export const PROJECTION_TTL_SECONDS = 300;
/** Powertools' default maxAge. */
export const POWERTOOLS_DEFAULT_MAX_AGE_SECONDS = 5;

/**
 * Chart bars: the HTTP lookup of each peer (ours, the agent, the floor, measured from the
 * bench process), then every in-function method in run order, with its goal where it has one.
 */
export function chartBars(methods: readonly MethodResult[], peers: readonly PeerResult[]): Bar[] {
  const peerBars = peers.map((p) => ({
    label: `HTTP: ${PEER_LABELS[p.peer]}`,
    p50Us: p.latency.p50Us,
    p99Us: p.latency.p99Us,
  }));
  const methodBars = methods.map((m) => {
    const goalUs = m.plan.method === LookupMethod.File ? GOALS.fileP99Us : undefined;
    return {
      label: m.plan.label,
      p50Us: m.summary.p50Us,
      p99Us: m.summary.p99Us,
      ...(goalUs === undefined ? {} : { goalUs }),
    };
  });
  return [...peerBars, ...methodBars];
}

function find(methods: readonly MethodResult[], method: LookupMethod): MethodResult | undefined {
  return methods.find((m) => m.plan.method === method);
}

function latencyTable(methods: readonly MethodResult[]): string {
  const file = find(methods, LookupMethod.File)?.summary;
  const direct = find(methods, LookupMethod.Direct)?.summary;
  const rows = methods.map(({ plan, summary: s }) => [
    plan.label,
    fmtUs(s.p50Us),
    fmtUs(s.p99Us),
    fmtUs(s.meanUs),
    s.samples.toLocaleString('en-US'),
    file ? `${fmtRatio(s.p50Us / file.p50Us)} · ${fmtRatio(s.p99Us / file.p99Us)}` : 'n/a',
    direct ? `${fmtRatio(direct.p50Us / s.p50Us)} · ${fmtRatio(direct.p99Us / s.p99Us)}` : 'n/a',
  ]);
  return mdTable(
    [
      'method',
      'p50',
      'p99',
      'mean',
      'calls',
      'time vs file lookup (p50 · p99)',
      'speed-up vs direct GetSecretValue (p50 · p99)',
    ],
    rows,
  );
}

function spreadRow(label: string, s: Spread): string[] {
  return [
    label,
    fmtMs(s.median),
    fmtMs(s.p90),
    `${fmtMs(s.min)} – ${fmtMs(s.max)}`,
    String(s.samples),
  ];
}

function coldStartSection(c: ColdStartPhase): string {
  const added = c.initWithLayer.median - c.initWithoutLayer.median;
  return [
    '## Cold start',
    '',
    'Each sample is a fresh execution environment in the sandbox (extension and runtime are new',
    "processes); the variants run round-robin. Spawn → registered runs from spawning the layer's",
    'launcher (POSIX sh, which `exec`s node) until `/extension/register` succeeded, so the prefetch',
    '(which runs before registering) is included. The fetch is the prefetch GetSecretValue as',
    'the extension timed it (its `UpstreamLatency` metric: SDK client set-up and signing',
    'included, whole milliseconds).',
    '',
    mdTable(
      ['measure', 'median', 'p90', 'min – max', 'samples'],
      [
        spreadRow('extension spawn → registered, 1 secret prefetched', c.withSecret),
        spreadRow('extension spawn → registered, no secrets (pure overhead)', c.noSecret),
        spreadRow('prefetch GetSecretValue (moto on loopback)', c.fetch),
        spreadRow('whole init with the layer (extension + runtime ready)', c.initWithLayer),
        spreadRow('whole init without the layer', c.initWithoutLayer),
        spreadRow('for scale: `node -e 0`, spawn → exit', c.nodeStart),
      ],
    ),
    '',
    `Net of the fetch, the extension reaches "registered" in ${fmtMs(c.withSecret.median - c.fetch.median)} (median). ${beyondNode(c)}`,
    `The layer adds ${fmtMs(added)} to the median init: in Lambda (and in the sandbox) the runtime`,
    'starts only after every extension registered, so spawn → registered is paid in full.',
  ].join('\n');
}

/** INIT added: below zero it is within the spread of the two medians. */
function initAddedPhrase(ms: number): string {
  return ms > 0 ? `${fmtMs(ms)} added` : 'no measurable difference';
}

/** A difference of two separately measured figures: below zero it is within their spread. */
function added(us: number): string {
  return us > 0 ? fmtUs(us) : 'nothing measurable (it was below the floor)';
}

/** What the extension without secrets costs beyond starting Node (medians of separate samples). */
function beyondNode(c: ColdStartPhase): string {
  const beyond = c.noSecret.median - c.nodeStart.median;
  const work =
    'loading and evaluating the bundled extension (AWS SDK included), preparing the directory, listening and registering';
  return beyond > 0
    ? `With no secrets, ${fmtMs(beyond)} of its ${fmtMs(c.noSecret.median)} go beyond starting Node itself: ${work}.`
    : `With no secrets it takes ${fmtMs(c.noSecret.median)}, no more than \`node -e 0\` alone (${fmtMs(c.nodeStart.median)}): ${work} fall within the spread of starting Node.`;
}

function memorySection(ext: ProcessMemory, idle: ProcessMemory): string {
  return [
    '## Memory',
    '',
    'Read from `/proc/<pid>/status` of the extension process (the launcher `exec`s node, so the',
    "pid is node's) after it served every lookup above.",
    '',
    mdTable(
      ['process', 'VmRSS (now)', 'VmHWM (peak)'],
      [
        ['secret-sidecar extension', fmtBytes(ext.rssBytes), fmtBytes(ext.peakRssBytes)],
        [
          'idle `node` (same binary, empty script), for scale',
          fmtBytes(idle.rssBytes),
          fmtBytes(idle.peakRssBytes),
        ],
      ],
    ),
  ].join('\n');
}

function layerSection(layers: Readonly<Record<string, LayerSize>>): string {
  return [
    '## Layer size',
    '',
    'Zipped as `make build` ships them (deflate, fixed timestamps, exec bits kept); unzipped is',
    'the sum of the files. Lambda allows 50 MB for a direct upload and 250 MB unzipped for the',
    'function and all its layers.',
    '',
    mdTable(
      ['flavour', 'zip', 'unzipped', 'files'],
      Object.entries(layers).map(([name, l]) => [
        name,
        fmtBytes(l.zipBytes),
        fmtBytes(l.unzippedBytes),
        String(l.files),
      ]),
    ),
  ].join('\n');
}

/** `a / b` as a ratio, or n/a. */
function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined ? 'n/a' : fmtRatio(a / b);
}

function peersSection(p: PeerPhase): string {
  const get = (peer: Peer) => p.results.find((r) => r.peer === peer);
  const agent = get(Peer.Agent);
  const floor = get(Peer.Floor);
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const rows = p.results.map((r) => [
    PEER_LABELS[r.peer],
    fmtUs(r.latency.p50Us),
    fmtUs(r.latency.p99Us),
    r.requestsPerSecond === undefined
      ? 'n/a'
      : Math.round(r.requestsPerSecond).toLocaleString('en-US'),
    r.cpuUsPerRequest === undefined ? 'n/a' : `${r.cpuUsPerRequest.toFixed(1)} µs`,
    `${mib(r.memoryAfterWarmup.rssBytes)} / ${mib(r.memoryAfterLoad.rssBytes)}`,
    `${mib(r.memoryAfterLoad.anonBytes)} / ${mib(r.memoryAfterLoad.fileBytes)}`,
    `${ratio(r.latency.p50Us, agent?.latency.p50Us)} · ${ratio(r.requestsPerSecond, agent?.requestsPerSecond)}`,
    `${ratio(r.latency.p50Us, floor?.latency.p50Us)} · ${ratio(r.requestsPerSecond, floor?.requestsPerSecond)}`,
  ]);
  return [
    "## Next to AWS's Secrets Manager Agent and the Node floor",
    '',
    'Every server answers the same GetSecretValue of the same secret from the same moto: the',
    "extension in an unfrozen sandbox (so a client outside it can load it), AWS's agent (Rust,",
    'built from crates.io, port and TTL in a TOML file), and a bare `node:http` server answering',
    'the same request (path and token header, which it ignores) with a fixed body of that secret',
    '(the floor: what any Node server costs). They run interleaved:',
    `${PEER_PLAN.rounds} rounds, the order rotated each round; each round makes ${PEER_PLAN.latencyRequests.toLocaleString('en-US')} sequential keep-alive`,
    `requests from the bench process (after ${PEER_PLAN.warmup} untimed), then one wrk run (\`-t${WRK.threads} -c${WRK.connections} -d${WRK.seconds}s\`).`,
    "Throughput and CPU are medians over the rounds; CPU per request is the server's user +",
    'system time during the wrk run (from `/proc/<pid>/stat`) over the requests it answered.',
    'RSS is after the first round\'s keep-alive requests, then after everything; "private" is',
    '`RssAnon` (heap, JIT code) and "file" `RssFile` (mostly the node binary\'s pages, which the',
    "node flavour shares with the function runtime's own node).",
    '',
    ...p.skipped.map((s) => `**SKIPPED: ${s}.**\n`),
    mdTable(
      [
        'server',
        'p50',
        'p99',
        'req/s (wrk)',
        'CPU / request',
        'RSS warm / after load',
        'private / file',
        'vs agent (p50 · req/s)',
        'vs floor (p50 · req/s)',
      ],
      rows,
    ),
  ].join('\n');
}

/** Instructions per cached read, with ratios to the floor and the agent. */
export function instructionsSection(p: InstructionsPhase): string {
  const labels: Record<CountedPeer, string> = {
    [Peer.Node]: PEER_LABELS[Peer.Node],
    [Peer.Agent]: PEER_LABELS[Peer.Agent],
    [Peer.Floor]: PEER_LABELS[Peer.Floor],
  };
  const counted = Object.entries(p.perRequest) as [CountedPeer, number][];
  const floor = p.perRequest[Peer.Floor];
  const agent = p.perRequest[Peer.Agent];
  // Counts repeat closely, so two decimals mean something here.
  const exact = (n: number, of: number | undefined): string =>
    of === undefined ? 'n/a' : `${(n / of).toFixed(2)}×`;
  return [
    '### Instructions per cached read',
    '',
    'Wall and CPU time on this 2-core machine differ by up to ±20 % between identical runs; an',
    `instruction count does not. Each server runs under valgrind's callgrind${p.valgrind ? ` (${p.valgrind})` : ''}: after`,
    `${INSTRUCTION_PLAN.warmup.toLocaleString('en-US')} untimed keep-alive requests the counters are zeroed, ${INSTRUCTION_PLAN.requests.toLocaleString('en-US')} more run on the same`,
    "connection, and the total (every thread, user space only: the kernel's TCP path, the same",
    'for all three, is not counted) is divided by them. The floor gets the same request as the',
    'extension (path and token header) and ignores it.',
    '',
    ...p.skipped.map((s) => `**SKIPPED: ${s}.**\n`),
    counted.length === 0
      ? '(not measured)'
      : mdTable(
          ['server', 'instructions per read', 'vs floor', 'vs agent'],
          counted.map(([peer, n]) => [
            labels[peer],
            Math.round(n).toLocaleString('en-US'),
            exact(n, floor),
            exact(n, agent),
          ]),
        ),
  ].join('\n');
}

function startupSection(s: StartupPhase): string {
  const label: Record<string, string> = {
    node: 'secret-sidecar, node flavour (1 secret prefetched)',
    standalone: 'secret-sidecar, standalone flavour (1 secret prefetched)',
    'standalone-compile-cache': "standalone flavour with Node's compile cache warm (not shipped)",
    agent: `AWS Secrets Manager Agent (lazy: fetches on the first request)`,
  };
  return [
    '## Start-up and the first read after expiry',
    '',
    `Spawn → first 200 on \`/secretsmanager/get\`, polled every millisecond: ${STARTUP_PLAN.rounds} fresh processes per`,
    'variant, round-robin. For the extension this includes the sandbox spawning the launcher,',
    "Node's start, the prefetch, the file, listening and registering; the agent fetches on the",
    'first request instead, which the first 200 includes.',
    '',
    mdTable(
      ['variant', 'median', 'p90', 'min – max', 'samples'],
      Object.entries(s.firstOk).map(([k, v]) => spreadRow(label[k] ?? k, v)),
    ),
    '',
    `The first read after the TTL ran out: both servers run side by side and cache for ${STARTUP_PLAN.ttlSeconds} s; after`,
    `one warm read each, every ${STARTUP_PLAN.ttlSeconds * 1000 + 300} ms both are read once (the order alternating), ${STARTUP_PLAN.expiryReads} times, each over its`,
    "own kept-alive connection. CPU is the server's user + system time over all the cycles",
    '(`/proc/<pid>/stat`, 10 ms ticks), per cycle: the read and the idle time around it.',
    '',
    mdTable(
      ['server', 'median', 'p90', 'min – max', 'samples', 'CPU per cycle'],
      Object.entries(s.afterExpiry).map(([k, v]) => [
        ...spreadRow(
          k === 'agent' ? 'AWS Secrets Manager Agent' : 'secret-sidecar, node flavour',
          v,
        ),
        s.expiryCpuMs[k] === undefined ? 'n/a' : `${(s.expiryCpuMs[k] as number).toFixed(1)} ms`,
      ]),
    ),
  ].join('\n');
}

function rieSection(r: RieInitPhase): string {
  if (r.skipped !== undefined) {
    return [
      "## INIT under AWS's Runtime Interface Emulator",
      '',
      `**SKIPPED: ${r.skipped}.**`,
    ].join('\n');
  }
  const base: Record<RieCase, RieCase> = {
    [RieCase.NodeNoLayer]: RieCase.NodeNoLayer,
    [RieCase.NodeBeforeRuntime]: RieCase.NodeNoLayer,
    [RieCase.NodeParallel]: RieCase.NodeNoLayer,
    [RieCase.PythonNoLayer]: RieCase.PythonNoLayer,
    [RieCase.PythonBeforeRuntime]: RieCase.PythonNoLayer,
    [RieCase.PythonParallel]: RieCase.PythonNoLayer,
  };
  return [
    "## INIT under AWS's Runtime Interface Emulator",
    '',
    'RIE initialises on the first invoke, so its duration is INIT (extensions, then the',
    "runtime's init) plus a trivial invoke. Each case runs in its own mount and network",
    `namespace with moto inside, the layer in /opt as a container image has it; ${RIE_ROUNDS} rounds,`,
    'round-robin. "INIT added" is the median minus the same function without the layer.',
    'The Python function first imports a generated module of a few thousand functions (no',
    '`.pyc`), as importing an SDK would; with the parallel mode it reads the secret over HTTP at',
    'module scope (the file may not be there yet), otherwise from the file.',
    '',
    mdTable(
      ['case', 'first invoke, median', 'p90', 'min – max', 'INIT added'],
      (Object.values(RieCase) as RieCase[]).flatMap((c) => {
        const v = r.firstInvoke[c];
        if (v === undefined) return [];
        const added = c === base[c] ? '–' : fmtMs(initAddedMs(r, c, base[c]));
        return [[c, fmtMs(v.median), fmtMs(v.p90), `${fmtMs(v.min)} – ${fmtMs(v.max)}`, added]];
      }),
    ),
  ].join('\n');
}

/** Memory and cached-read latency over thousands of distinct ids. */
export function manyIdsSection(p: ManyIdsPhase): string {
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const j = judgeManyIds(p);
  return [
    '## Thousands of distinct ids',
    '',
    `One extension reads ${MANY_IDS.ids.toLocaleString('en-US')} secrets it was not configured with,`,
    `${MANY_IDS.block} at a time (${MANY_IDS.valueBytes.toLocaleString('en-US')}-byte values, the default cache of 1,000 entries, so most`,
    `are evicted again). After each block: RSS, the latency of those first reads (each a`,
    `GetSecretValue to moto, so moto's own time is in them) and of ${MANY_IDS.hotReads} cached reads of one hot id.`,
    'An evicted value must cost nothing, in the cache or in the redactor.',
    '',
    mdTable(
      ['ids read', 'RSS', 'first read p50', 'first read p99', 'cached p50', 'cached p99'],
      p.blocks.map((b) => [
        b.idsRead.toLocaleString('en-US'),
        mib(b.rssBytes),
        `${(b.missP50Us / 1000).toFixed(2)} ms`,
        `${(b.missP99Us / 1000).toFixed(2)} ms`,
        `${b.hotP50Us.toFixed(0)} µs`,
        `${b.hotP99Us.toFixed(0)} µs`,
      ]),
    ),
    '',
    `Until ${MANY_IDS_CACHE_SIZE.toLocaleString('en-US')} ids the cache fills, one entry per id, by design. Bound, from the block at which`,
    `it is full to the last: RSS grows by at most ${mib(MANY_IDS_BOUNDS.rssGrowthBytes)}, and the cached p99 of the last block is at`,
    `most ${MANY_IDS_BOUNDS.hotP99Ratio}× that of the full-cache block. This run: ${Number.isFinite(j.rssGrowthBytes) ? mib(j.rssGrowthBytes) : 'not measured'} and`,
    `${Number.isFinite(j.hotP99Ratio) ? `${j.hotP99Ratio.toFixed(2)}×` : 'not measured'} (peak RSS of any block ${mib(j.peakRssBytes)}, before V8 collected): **${j.pass ? 'pass' : 'FAIL'}**.`,
  ].join('\n');
}

function flagsSection(flags: readonly FlagResult[]): string {
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const labels = [...new Set(flags.map((f) => f.label))];
  const cells = (label: string, flavour: FlagFlavour): string[] => {
    const f = flags.find((x) => x.label === label && x.flavour === flavour);
    if (!f) return ['n/a', 'n/a', 'n/a'];
    return [
      mib(f.memory.rssBytes),
      mib(f.memory.anonBytes),
      f.requestsPerSecond === undefined
        ? 'n/a'
        : Math.round(f.requestsPerSecond).toLocaleString('en-US'),
    ];
  };
  return [
    '## Memory: Node options tried on the extension',
    '',
    "Each candidate runs both flavours with the launcher's `exec` line changed, one after the",
    'other, under the same load: 20,000 keep-alive requests, then one wrk run. RSS is read after',
    "both. The node flavour runs on this machine's Node, the standalone flavour on its pinned",
    `Node 22. The launcher ships ${SHIPPED}.`,
    '',
    mdTable(
      [
        'options',
        'node flavour: RSS',
        'private',
        'req/s (wrk)',
        'standalone: RSS',
        'private',
        'req/s (wrk)',
      ],
      labels.map((label) => [label, ...cells(label, 'node'), ...cells(label, 'standalone')]),
    ),
    '',
    'Also tried, by hand (2026-12-01), with no repeatable difference: `--v8-pool-size=1`,',
    '`UV_THREADPOOL_SIZE=1`. A 1 MiB semi-space, shipped alone until 2026-12-02, keeps Node 20',
    "smallest but lets Node 22's old generation grow under load (objects promoted early): 96–101",
    'MiB against 75 MiB with 2 MiB, by hand over four runs; hence one per version, and the',
    "node flavour in Lambda's nodejs22.x runs with 2 MiB. Not loading what a configuration does",
    'not use is in the build: each AWS SDK client is a chunk imported on first use, so a function',
    'with no parameters never loads the SSM client.',
  ].join('\n');
}

/** Where the time of the standalone flavour's start goes, and the runtime options weighed. */
function standaloneOptionsSection(s: StartupPhase): string {
  const plain = s.firstOk.standalone?.median;
  const cached = s.firstOk['standalone-compile-cache']?.median;
  return [
    "## The standalone flavour's runtime: options weighed",
    '',
    `- **Node's compile cache** (\`NODE_COMPILE_CACHE\`): measured above, ${plain === undefined ? 'n/a' : fmtMs(plain)} → ${cached === undefined ? 'n/a' : fmtMs(cached)} (median`,
    '  spawn → first 200). Not shipped: Node 22 keys the cache by absolute path (its portable',
    '  mode is newer than Node 22), so it would have to be built at `/opt/secret-sidecar` on each',
    '  architecture (no arm64 machine here); and V8 writes different bytes on every run, which',
    '  would break the byte-identical release zips.',
    '- **A user-land startup snapshot** (`--build-snapshot`): does not build. The AWS SDK loads',
    '  `node:http`/`node:https` (through @smithy/node-http-handler), whose native handles V8',
    '  cannot serialise ("global handle not serialized: HTTPParser"); keeping the SDK out of the',
    '  snapshot leaves nothing worth snapshotting.',
    '- **Shipped:** the pinned Node 22 binary, stripped, with the extension split into chunks',
    '  loaded on first use.',
  ].join('\n');
}

/** For each missed goal, where the time or memory goes, from this run's own figures. */
export function missedGoalNotes(r: BenchResults): string[] {
  const goals = judgeGoals(goalInputsOf(r));
  const failed = new Set(goals.filter((g) => !g.pass).map((g) => g.measure));
  const node = r.peers.results.find((p) => p.peer === Peer.Node);
  const floor = r.peers.results.find((p) => p.peer === Peer.Floor);
  const notes: string[] = [];
  const has = (prefix: string) => [...failed].some((m) => m.startsWith(prefix));
  if (node && floor && (has('HTTP p50') || has('HTTP p99') || has('throughput'))) {
    const cpu =
      node.cpuUsPerRequest !== undefined && floor.cpuUsPerRequest !== undefined
        ? ` Under wrk in this run the extension spent ${node.cpuUsPerRequest.toFixed(1)} µs of CPU per request, the floor ${floor.cpuUsPerRequest.toFixed(1)} µs.`
        : '';
    const ours = r.instructions.perRequest[Peer.Node];
    const theirs = r.instructions.perRequest[Peer.Floor];
    const counted =
      ours !== undefined && theirs !== undefined
        ? [
            `  In instructions, which repeat between runs, a cached read costs the extension ${fmtCount(Math.round(ours))} against the`,
            `  floor's ${fmtCount(Math.round(theirs))} (${(ours / theirs).toFixed(2)}×; user space only, while the kernel's TCP path, the largest share`,
            '  under `perf`, is the same for both).',
          ]
        : [];
    notes.push(
      `- **HTTP:** the extension answers a cached read in ${fmtUs(node.latency.p50Us)} p50 against the floor's ${fmtUs(floor.latency.p50Us)}.${cpu}`,
      ...counted,
      '  Beyond the floor: the token check, routing, the cache lookup and the three headers the API',
      '  adds. Removed on 2026-12-02: a SHA-256 of every presented token (a fresh off-heap buffer',
      '  each; about a quarter of the throughput, found with `perf`), and, found with callgrind, a new',
      '  key string per read, an LRU move of the entry just read and five clock reads in the lookup',
      "  (74.3k → 71.0k instructions per read). Reading the two headers from `rawHeaders` saved nothing: Node's",
      '  server builds `req.headers` for every request anyway. Part of the rest is being an',
      '  extension at all: by hand (2026-12-02), the same server and store outside Lambda cost about',
      '  68.5k instructions per read, and adding only a pending `event/next` long poll (a client',
      "  request in the same process, which Node's shared stream code then also sees) made it 69.6k.",
      '  Throughput under wrk is bound by CPU per request, so it follows that gap; p50 and p99 move',
      "  with this 2-core machine's spread more than with it (identical runs of one server differ by",
      '  up to ±20 %, and whole runs by more: compare the instruction counts, which do not).',
    );
  }
  if (has('RSS') && node) {
    notes.push(
      `- **Memory:** of the node flavour's ${(node.memoryAfterLoad.rssBytes / 2 ** 20).toFixed(1)} MiB, ${(node.memoryAfterLoad.fileBytes / 2 ** 20).toFixed(1)} MiB are the node binary's mapped pages`,
      "  (`RssFile`; the floor has the same), shared with the function runtime's node in the node",
      `  flavour; the extension's own private memory is ${(node.memoryAfterLoad.anonBytes / 2 ** 20).toFixed(1)} MiB. A 50 MiB total is below what any`,
      '  Node process serving HTTP takes here: a bare `node:http` server that has answered nothing is',
      "  42.8 MiB on Node 20 (35.6 MiB of it the binary's pages) and 49.8 MiB on the standalone",
      "  flavour's Node 22 (42.4 MiB), measured by hand on 2026-12-02; see also the floor row.",
    );
  }
  if (has('INIT added under RIE, parallel')) {
    const nodeInit = r.rie.firstInvoke[RieCase.NodeNoLayer]?.median;
    const pythonInit = r.rie.firstInvoke[RieCase.PythonNoLayer]?.median;
    const pythonAdded = initAddedMs(r.rie, RieCase.PythonParallel, RieCase.PythonNoLayer);
    notes.push(
      '- **INIT, parallel mode:** the launcher registers (with `curl`, `wget`, `python3` or `perl`)',
      "  before Node starts, so Lambda starts the function's runtime at once. INIT still ends only",
      "  at the extension's first `event/next`, which comes after Node's start (`node -e 0`:",
      `  ${fmtMs(r.coldStart.nodeStart.median)} here), the main chunk, the AWS SDK chunk and the fetch, because the mode keeps the`,
      '  promise that the values are there before the first invoke. A Node function that',
      `  initialises in ${nodeInit === undefined ? 'n/a' : fmtMs(nodeInit)} waits for all of it. The Python function's heavy import`,
      `  (${pythonInit === undefined ? 'n/a' : fmtMs(pythonInit)} without the layer) hides most of it: ${Number.isFinite(pythonAdded) ? initAddedPhrase(pythonAdded) : 'n/a'} in this run. What is left is`,
      '  the launcher and its registration, and the extension starting on the same two cores as the',
      "  import, the emulator and moto; the difference also inherits the spread of the function's",
      '  own init, whose median without the layer ranged over 197–244 ms between the runs of',
      '  2026-12-02. Meeting 20 ms for every function would mean answering `event/next`',
      "  before the values are fetched, or before Node runs at all: AWS's agent is a native binary",
      '  that fetches on the first request.',
    );
  }
  if (has('INIT added under RIE, default')) {
    notes.push(
      '- **INIT, default mode:** the fetch includes loading the AWS SDK chunk and its first call',
      '  (cold code: about 28 ms against 8 ms for the next call, measured by hand on 2026-12-02).',
      "  Beyond Node's start and the fetch: the launcher checks the runtime's Node version",
      '  (`node --version`, about 6 ms here), then the main chunk, the file, listening and registering.',
    );
  }
  if (has('first read after expiry')) {
    const cpu = r.startup.expiryCpuMs;
    const cpuLine =
      cpu.node !== undefined && cpu.agent !== undefined
        ? [
            `  Per expiry cycle (one such read and the idle time around it) the extension used ${cpu.node.toFixed(1)} ms of CPU,`,
            `  the agent ${cpu.agent.toFixed(1)} ms.`,
          ]
        : [];
    notes.push(
      '- **Expiry:** each server makes one call to moto per expired read (the extension revalidates',
      '  with DescribeSecret while the version holds). The difference is the cost of that call in',
      "  the AWS SDK v3 against the agent's Rust SDK, not moto's.",
      ...cpuLine,
      '  By hand (2026-12-02): a DescribeSecret through the SDK costs 2.2–2.8 ms of CPU even in a',
      '  hot loop (the middleware stack resolved per call, serialising, endpoint rules, signing,',
      '  parsing), and after 1.3 s idle about 2.3 ms pass before the request leaves; moto answers',
      '  in 4–6 ms. V8 options for cold code (`--always-sparkplug`, `--no-lazy-feedback-allocation`,',
      "  `--no-flush-bytecode`) made no repeatable difference. The SDK's handler cache",
      '  (`cacheMiddleware`) skips the per-call stack resolution, but only for calls without',
      '  per-call options, and each of ours carries its own abort deadline.',
    );
  }
  const file = r.lookups.methods.find((m) => m.plan.method === LookupMethod.File)?.summary;
  if (has('file read') && file) {
    notes.push(
      `- **File read:** \`readFileSync\` of the envelope (open, fstat, read, close) and \`JSON.parse\`: ${fmtUs(file.p50Us)} p50,`,
      `  ${fmtUs(file.p99Us)} p99. All of it is the caller's own system calls and parse: no code of the extension`,
      '  runs on this path. A tight loop of `readFileSync` alone on a file of the same size, outside',
      '  any sandbox, takes 5–7 µs p50 and 12–15 µs p99 here (17–19 µs p99 with `JSON.parse`;',
      "  by hand, 2026-12-02): this machine's system calls alone exceed the goal at p99.",
    );
  }
  if (has('client library warm path')) {
    notes.push(
      '- **Client warm path:** a by-id memo lookup, a clock read and a resolved promise; what is',
      "  left over the goal is V8 not yet having optimised the call within the bench's 2,000-call warm-up.",
    );
  }
  return notes;
}

function goalInputsOf(r: BenchResults) {
  return {
    methods: r.lookups.methods,
    peers: r.peers.results,
    coldStart: r.coldStart,
    startup: r.startup,
    rie: r.rie,
    layers: r.layers,
  };
}

function projection(rate: number, maxAge: number, refreshAheadPercent: number): TrafficProfile {
  return {
    requestsPerSecond: rate,
    ttlSeconds: PROJECTION_TTL_SECONDS,
    refreshAheadPercent,
    powertoolsMaxAgeSeconds: maxAge,
  };
}

function upstreamSection(u: UpstreamPhase): string {
  const p = u.profile;
  const ahead = p.refreshAheadPercent;
  const same = PROJECTION_RATES.map((r) =>
    callsPerHour(projection(r, PROJECTION_TTL_SECONDS, ahead)),
  );
  const dflt = PROJECTION_RATES.map((r) =>
    callsPerHour(projection(r, POWERTOOLS_DEFAULT_MAX_AGE_SECONDS, ahead)),
  );
  const rateHeads = PROJECTION_RATES.map(
    (r) => `model per hour, TTL = maxAge = ${PROJECTION_TTL_SECONDS} s, ${r} req/s`,
  );
  const byAction = Object.entries(u.byAction)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  const window = `${u.windowSeconds.toFixed(1)} s`;
  return [
    '## Upstream calls per hour per environment',
    '',
    'Model (per secret, steady traffic): the sidecar refreshes on an INVOKE once the entry is within',
    'the refresh-ahead window, so at most 3600 / (TTL × (1 − refresh-ahead)) calls per hour',
    `(TTL ${PROJECTION_TTL_SECONDS} s, ${ahead} % ahead: one call every ${PROJECTION_TTL_SECONDS * (1 - ahead / 100)} s). Powertools refetches on the`,
    'first request after `maxAge`: at most 3600 / maxAge. A direct GetSecretValue is one call per',
    'request. Neither cache calls more often than requests arrive, and each environment adds one',
    'call at start-up. The model is an upper bound: a refresh waits for the next request.',
    '',
    `Measured: one environment, TTL = Powertools maxAge = ${p.ttlSeconds} s, ${u.invokes} invokes in ${window}`,
    `(${p.requestsPerSecond.toFixed(1)} req/s), each reading the secret once per approach. A counting proxy in`,
    `front of moto attributed every call (${byAction}).`,
    'After the prefetch the sidecar revalidates with `DescribeSecret` while the version is',
    'unchanged (`SECRET_SIDECAR_REVALIDATE`); Secrets Manager bills every API call alike.',
    '',
    mdTable(
      ['approach', `measured, TTL ${p.ttlSeconds} s, ${window}`, 'model, same run', ...rateHeads],
      [
        [
          'sidecar extension',
          fmtCount(u.measured.sidecar),
          fmtCount(u.predicted.sidecar),
          ...same.map((c) => fmtCount(c.sidecar)),
        ],
        [
          'Powertools getSecret, maxAge = TTL',
          fmtCount(u.measured.powertools),
          fmtCount(u.predicted.powertools),
          ...same.map((c) => fmtCount(c.powertools)),
        ],
        [
          `Powertools getSecret, default maxAge ${POWERTOOLS_DEFAULT_MAX_AGE_SECONDS} s`,
          '–',
          '–',
          ...dflt.map((c) => fmtCount(c.powertools)),
        ],
        [
          'direct GetSecretValue per request',
          fmtCount(u.measured.direct),
          fmtCount(u.predicted.direct),
          ...same.map((c) => fmtCount(c.direct)),
        ],
      ],
    ),
    '',
    'Multiply by the number of warm environments and secrets for a fleet.',
  ].join('\n');
}

function machineSection(m: MachineInfo, date: string, runtimeSeconds: number): string {
  return mdTable(
    ['machine', ''],
    [
      ['date', date],
      ['CPU', m.cpu],
      ['cores', String(m.cores)],
      ['memory', `${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB`],
      ['OS', m.os],
      ['Node.js', m.node],
      ['load average (1 min) at start', m.loadAverage.toFixed(2)],
      ['bench runtime', `${runtimeSeconds.toFixed(0)} s`],
    ],
  );
}

/** Figures that put the goals in proportion: the machine's own floors for each measure. */
export function scaleNotes(r: BenchResults): string[] {
  const m = r.lookups.methods;
  const floor = find(m, LookupMethod.HttpBaseline)?.summary;
  const keepAlive = find(m, LookupMethod.HttpKeepAlive)?.summary;
  const notes: string[] = [];
  if (floor && keepAlive) {
    notes.push(
      `- HTTP: a bare \`node:http\` server on this machine answers the same keep-alive request in ${fmtUs(floor.p50Us)} p50 / ${fmtUs(floor.p99Us)} p99;`,
      `  the extension adds ${added(keepAlive.p50Us - floor.p50Us)} at p50 and ${added(keepAlive.p99Us - floor.p99Us)} at p99.`,
    );
  }
  const c = r.coldStart;
  notes.push(
    `- Cold start: starting Node itself (\`node -e 0\`, spawn → exit) takes ${fmtMs(c.nodeStart.median)} (median); the extension with no`,
    `  secrets reaches "registered" in ${fmtMs(c.noSecret.median)}.`,
    `- RSS: an idle \`node\` process is ${fmtBytes(r.idleNode.rssBytes)}; the extension is ${fmtBytes(r.lookups.extensionMemory.rssBytes - r.idleNode.rssBytes)} above it.`,
  );
  return notes;
}

/** The whole Markdown report. */
export function renderReport(r: BenchResults): string {
  const goals = judgeGoals(goalInputsOf(r));
  const missed = missedGoalNotes(r);
  const passed = goals.filter((g) => g.pass).length;
  return `${[
    '# Benchmarks',
    '',
    '<!-- Generated by `make bench` (tools/bench/run.ts). Do not edit by hand: run it again. -->',
    '',
    'All figures come from one run of `make bench` on one machine, against the same secret',
    '(a ~250-byte provider-key JSON). Nothing leaves 127.0.0.1: AWS is moto_server. No test',
    'asserts these numbers.',
    '',
    '## Machine',
    '',
    machineSection(r.machine, r.date, r.runtimeSeconds),
    '',
    `## Goals (${passed} of ${goals.length} met)`,
    '',
    mdTable(
      ['measure', 'goal', 'measured', 'result'],
      goals.map((g) => [g.measure, g.goal, g.measured, g.pass ? 'pass' : '**FAIL**']),
    ),
    '',
    ...(missed.length === 0
      ? []
      : ['Where the time or memory goes, for each goal missed:', '', ...missed, '']),
    'For scale, from the same run:',
    '',
    ...scaleNotes(r),
    '',
    peersSection(r.peers),
    '',
    instructionsSection(r.instructions),
    '',
    startupSection(r.startup),
    '',
    rieSection(r.rie),
    '',
    '## Lookup latency',
    '',
    `![Lookup latency, p50 and p99, log scale](${CHART_FILE})`,
    '',
    'Measured inside a function handler running in the Lambda sandbox next to the real extension',
    '(thawed during the invoke, as in Lambda). Each method runs in',
    `${LOOKUP_ROUNDS} invokes, interleaved with the other methods; each invoke makes untimed warm-up`,
    'calls, then sequential lookups of the same secret, each timed with `process.hrtime.bigint()`',
    '(which adds about 0.1 µs and one `await`). `calls` is the total of timed lookups.',
    '',
    "- **sidecar file**: read the extension's envelope file, `JSON.parse`, check `expiresAt`;",
    '  `readFileSync` and `fs/promises.readFile` (the latter pays a libuv thread-pool hop).',
    '- **sidecar HTTP**: `GET /secretsmanager/get` with the token header, through `node:http`',
    '  with a keep-alive agent, and with a new TCP connection per call (`agent: false`).',
    '- **bare node:http server (floor)**: the same request, keep-alive, to a `node:http` server',
    '  (in the bench process) that only writes a fixed body of the same secret: what any loopback',
    "  HTTP call costs on this machine. The sidecar's HTTP figures minus this floor are the",
    "  extension's own cost.",
    '- **client library, warm path**: `SidecarClient.getSecret` (inference/client.ts): in-process',
    '  memo, re-reading the file at most once a second.',
    '- **Powertools getSecret**: `@aws-lambda-powertools/parameters` 2.33.0, its in-process cache',
    '  (default maxAge 5 s), the library users would otherwise pick.',
    '- **direct GetSecretValue**: an AWS SDK v3 client per process, one call per lookup.',
    '',
    latencyTable(r.lookups.methods),
    '',
    coldStartSection(r.coldStart),
    '',
    memorySection(r.lookups.extensionMemory, r.idleNode),
    '',
    flagsSection(r.flags),
    '',
    manyIdsSection(r.manyIds),
    '',
    standaloneOptionsSection(r.startup),
    '',
    layerSection(r.layers),
    '',
    upstreamSection(r.upstream),
    '',
    '## How to reproduce',
    '',
    '```sh',
    'make bench   # = make build, then npx tsx tools/bench/run.ts; writes docs/BENCHMARKS.md and docs/benchmarks.svg',
    '```',
    '',
    'Fixed iteration counts, warm-up, the same secret and round-robin cold starts make runs',
    'comparable on one machine; compare runs from different machines by their ratios, not their',
    'absolute figures. The bench starts its own moto_server and sandboxes and stops them, even',
    'on failure.',
    '',
    '## Caveats',
    '',
    '- **Direct GetSecretValue here is a loopback call to moto** (a local Python server). Real',
    '  Secrets Manager is a TLS call across the network: typically several milliseconds more, so',
    '  the speed-ups over it are understated.',
    '- The sandbox imitates Lambda (separate processes, SIGSTOP freeze between invokes) but it is',
    '  not Firecracker: CPU share, memory limits and the `/tmp` file system differ. Lambda gives a',
    '  128 MB function a fraction of a vCPU, which scales every figure up.',
    '- The machine was shared with other work (see the load average); p99 values of the',
    '  microsecond-scale methods are the most sensitive to that, cold starts too.',
    '- p99 of a method that caches (client library, Powertools) shows the cached path only: the',
    '  rare refetch falls outside the measured calls or below the 1 % tail.',
    '- Cold start timestamps are whole milliseconds (the sandbox records `Date.now()`).',
    '',
  ].join('\n')}`;
}
