/**
 * Renders docs/BENCHMARKS.md from one bench run: machine, goals with pass/fail, lookup
 * latency with ratios next to absolute figures, cold start, memory, layer size and
 * upstream calls. Pure: everything it shows comes in through {@link BenchResults}.
 */
import type { Bar } from './chart.ts';
import type { ColdStartPhase } from './cold-start.ts';
import { fmtBytes, fmtCount, fmtMs, fmtRatio, fmtUs, mdTable } from './format.ts';
import { coldStartNetOfFetchMs, judgeGoals, latencyGoalUs } from './goals.ts';
import type { LookupPhase, MethodResult } from './lookups.ts';
import type { MachineInfo } from './machine.ts';
import { LOOKUP_ROUNDS, LookupMethod } from './methods.ts';
import type { ProcessMemory } from './rss.ts';
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
  readonly layer: LayerSize;
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

/** Chart bars: p50 and p99 of every method in run order, with the p99 goal where there is one. */
export function chartBars(methods: readonly MethodResult[]): Bar[] {
  return methods.map((m) => {
    const goalUs = latencyGoalUs(m.plan.method);
    return {
      label: m.plan.label,
      p50Us: m.summary.p50Us,
      p99Us: m.summary.p99Us,
      ...(goalUs === undefined ? {} : { goalUs }),
    };
  });
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
    'launcher (bash, which `exec`s node) until `/extension/register` succeeded, so the prefetch',
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
    `Net of the fetch, the extension reaches "registered" in ${fmtMs(coldStartNetOfFetchMs(c))} (median). With no`,
    `secrets, ${fmtMs(c.noSecret.median - c.nodeStart.median)} of its ${fmtMs(c.noSecret.median)} go beyond starting Node itself: loading and`,
    'evaluating the bundled extension (AWS SDK included), preparing the directory, listening and',
    'registering.',
    `The layer adds ${fmtMs(added)} to the median init: in Lambda (and in the sandbox) the runtime`,
    'starts only after every extension registered, so spawn → registered is paid in full.',
  ].join('\n');
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

function layerSection(l: LayerSize): string {
  return [
    '## Layer size',
    '',
    mdTable(
      ['artifact', 'size'],
      [
        ['`dist/secret-sidecar-layer.zip`', fmtBytes(l.zipBytes)],
        [
          `unzipped (${l.files} files: launcher + bundled extension with the AWS SDK)`,
          fmtBytes(l.unzippedBytes),
        ],
      ],
    ),
  ].join('\n');
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
      `  the extension adds ${fmtUs(keepAlive.p50Us - floor.p50Us)} at p50 and ${fmtUs(keepAlive.p99Us - floor.p99Us)} at p99.`,
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
  const goals = judgeGoals({
    methods: r.lookups.methods,
    coldStart: r.coldStart,
    extensionRssBytes: r.lookups.extensionMemory.rssBytes,
    layerZipBytes: r.layer.zipBytes,
  });
  const passed = goals.filter((g) => g.pass).length;
  return `${[
    '# Benchmarks',
    '',
    '<!-- Generated by `make bench` (bench/run.ts). Do not edit by hand: run it again. -->',
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
    'For scale, from the same run:',
    '',
    ...scaleNotes(r),
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
    layerSection(r.layer),
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
