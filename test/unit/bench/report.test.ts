import { describe, expect, it } from 'vitest';
import { initAddedMs, judgeGoals } from '../../../tools/bench/goals.ts';
import {
  CHART_FILE,
  chartBars,
  instructionsSection,
  missedGoalNotes,
  renderReport,
  scaleNotes,
} from '../../../tools/bench/report.ts';
import { RieCase } from '../../../tools/bench/rie-init.ts';
import {
  coldStart,
  methods,
  peerResult,
  peers,
  results,
  rie,
  spreadOf,
  startup,
} from '../../support/bench-results.ts';

/** The Markdown table row whose first cell is `first`, split into cells. */
function row(markdown: string, first: string): string[] {
  const line = markdown.split('\n').find((l) => l.startsWith(`| ${first} |`));
  if (!line) throw new Error(`no row starting with ${first}`);
  return line
    .slice(2, -2)
    .split(' | ')
    .map((c) => c.trim());
}

function goalInputs(over: Partial<Parameters<typeof judgeGoals>[0]> = {}) {
  const r = results();
  return {
    methods: r.lookups.methods,
    peers: r.peers.results,
    coldStart: coldStart(),
    startup: startup(),
    rie: rie(),
    layers: r.layers,
    ...over,
  };
}

describe('judgeGoals', () => {
  it('passes every goal when every figure is inside its limit', () => {
    const goals = judgeGoals(goalInputs());
    expect(goals).toHaveLength(12);
    expect(goals.filter((g) => !g.pass)).toEqual([]);
  });

  it.each([
    [
      'HTTP p50, keep-alive (node flavour)',
      { peers: peers({ node: peerResult('node', 211, 330, 37_000, 48) }) },
    ],
    [
      'HTTP p99, keep-alive (node flavour)',
      { peers: peers({ node: peerResult('node', 204, 342, 37_000, 48) }) },
    ],
    [
      'throughput, wrk (node flavour)',
      { peers: peers({ node: peerResult('node', 204, 330, 35_900, 48) }) },
    ],
    [
      'RSS after the load (≥ 20,000 requests), node flavour',
      { peers: peers({ node: peerResult('node', 204, 330, 37_000, 50.1) }) },
    ],
    ['INIT added under RIE, parallel mode (Node function)', { rie: rie(21) }],
    [
      'INIT added under RIE, parallel mode (Python function, heavy import)',
      { rie: rie(15, 60, 21) },
    ],
    ['INIT added under RIE, default mode (Node function)', { rie: rie(15, 71) }],
    ['first read after expiry', { startup: startup(6.1, 5) }],
    ['file read p99', { methods: methods({ file: [5, 10.5] }) }],
    ['client library warm path p50', { methods: methods({ 'client-warm': [0.51, 0.6] }) }],
    [
      'node flavour zip',
      {
        layers: { ...results().layers, node: { zipBytes: 1_500_001, unzippedBytes: 1, files: 1 } },
      },
    ],
    [
      'standalone flavour, largest zip / unzipped',
      {
        layers: {
          ...results().layers,
          'standalone-arm64': { zipBytes: 41e6, unzippedBytes: 251e6, files: 22 },
        },
      },
    ],
  ])('fails %s just past its limit', (measure, over) => {
    const failed = judgeGoals(goalInputs(over)).filter((g) => !g.pass);
    expect(failed.map((g) => g.measure)).toEqual([measure]);
  });

  it('shows both figures and their ratio for goals set against a peer', () => {
    const goal = judgeGoals(goalInputs()).find((g) => g.measure.startsWith('throughput'));
    expect(goal?.measured).toBe('37,000 req/s vs 40,000 req/s = 0.93×');
  });

  it('fails, and says why, the goals whose peer or emulator did not run', () => {
    const goals = judgeGoals(
      goalInputs({
        peers: peers().filter((p) => p.peer !== 'agent'),
        startup: { ...startup(), afterExpiry: { node: startup().afterExpiry.node ?? spreadOf(1) } },
        rie: { firstInvoke: {}, skipped: 'unshare is not permitted here' },
      }),
    );
    const failed = goals.filter((g) => !g.pass);
    expect(failed.map((g) => [g.measure, g.measured])).toEqual([
      [
        'INIT added under RIE, parallel mode (Node function)',
        'not measured (RIE: unshare is not permitted here)',
      ],
      [
        'INIT added under RIE, parallel mode (Python function, heavy import)',
        'not measured (RIE: unshare is not permitted here)',
      ],
      [
        'INIT added under RIE, default mode (Node function)',
        'not measured (RIE: unshare is not permitted here)',
      ],
      ['first read after expiry', "not measured (no the agent's)"],
    ]);
  });

  it('judges the default-mode INIT against Node start + fetch + 10 ms of the same run', () => {
    expect(initAddedMs(rie(15, 60), RieCase.NodeBeforeRuntime, RieCase.NodeNoLayer)).toBe(60);
    const goal = judgeGoals(goalInputs({ coldStart: coldStart(80, 20) })).find((g) =>
      g.measure.includes('default mode'),
    );
    expect(goal?.goal).toBe("≤ Node's start-up + the fetch + 10 ms (here 70 ms)");
  });

  it('says an INIT difference below zero is within the spread, and passes it', () => {
    const goal = judgeGoals(goalInputs({ rie: rie(15, 60, -11) })).find((g) =>
      g.measure.includes('Python'),
    );
    expect(goal).toMatchObject({
      measured: '-11 ms (within the spread: no measurable cost)',
      pass: true,
    });
  });

  it('fails a goal whose method was not measured', () => {
    const withoutFile = methods().filter((m) => m.plan.method !== 'file');
    const file = judgeGoals(goalInputs({ methods: withoutFile })).find(
      (g) => g.measure === 'file read p99',
    );
    expect(file).toMatchObject({ measured: 'n/a', pass: false });
  });
});

describe('renderReport', () => {
  it('names the machine and the date', () => {
    const md = renderReport(results());
    expect(row(md, 'CPU')).toEqual(['CPU', 'Test CPU 3000']);
    expect(row(md, 'cores')).toEqual(['cores', '2']);
    expect(row(md, 'Node.js')).toEqual(['Node.js', 'v20.20.2']);
    expect(row(md, 'date')).toEqual(['date', '2026-11-23T19:00:00.000Z']);
  });

  it('puts ratios next to the absolute figures of each method', () => {
    const md = renderReport(results());
    expect(row(md, 'sidecar HTTP, keep-alive')).toEqual([
      'sidecar HTTP, keep-alive',
      '100 µs',
      '400 µs',
      '250 µs',
      '3,000',
      '20× · 50×',
      '50× · 50×',
    ]);
    expect(row(md, 'sidecar file (readFileSync)').slice(5)).toEqual([
      '1.0× · 1.0×',
      '1,000× · 2,500×',
    ]);
  });

  it('counts met goals in the heading and marks failures', () => {
    const layers = {
      ...results().layers,
      node: { zipBytes: 2_000_000, unzippedBytes: 6_000_000, files: 2 },
    };
    const md = renderReport(results({ layers }));
    expect(md).toContain('## Goals (11 of 12 met)');
    expect(row(md, 'node flavour zip')).toEqual([
      'node flavour zip',
      '≤ 1.5 MB',
      '2.00 MB (2,000,000 B)',
      '**FAIL**',
    ]);
  });

  it('shows each peer with its ratios to the agent and to the floor', () => {
    const md = renderReport(results());
    expect(row(md, 'secret-sidecar, node flavour')).toEqual([
      'secret-sidecar, node flavour',
      '204 µs',
      '330 µs',
      '37,000',
      '27.0 µs',
      '46.0 MiB / 48.0 MiB',
      '24.0 MiB / 24.0 MiB',
      '1.1× · 0.53×',
      '1.0× · 0.93×',
    ]);
    expect(row(md, 'AWS Secrets Manager Agent 2.1.0').slice(7)).toEqual([
      '1.0× · 1.0×',
      '0.90× · 1.8×',
    ]);
  });

  it('says loudly what it skipped', () => {
    const md = renderReport(
      results({
        peers: { results: peers(), skipped: ['wrk is not installed'] },
        rie: { firstInvoke: {}, skipped: 'go is not installed' },
      }),
    );
    expect(md).toContain('**SKIPPED: wrk is not installed.**');
    expect(md).toContain('**SKIPPED: go is not installed.**');
  });

  it('shows INIT added under RIE against the same function without the layer', () => {
    const md = renderReport(results());
    expect(row(md, RieCase.NodeParallel).at(-1)).toBe('15 ms');
    expect(row(md, RieCase.PythonBeforeRuntime).at(-1)).toBe('100 ms');
    expect(row(md, RieCase.NodeNoLayer).at(-1)).toBe('–');
  });

  it('says where the time or memory goes for each goal missed, and only then', () => {
    expect(missedGoalNotes(results())).toEqual([]);
    const heavy = results({
      peers: { results: peers({ node: peerResult('node', 204, 330, 37_000, 66) }), skipped: [] },
    });
    const notes = missedGoalNotes(heavy).join('\n');
    expect(notes).toContain("of the node flavour's 66.0 MiB, 33.0 MiB are the node binary's");
    expect(notes).not.toContain('**HTTP:**');
  });

  it('shows instructions per cached read with two-decimal ratios to the floor and the agent', () => {
    expect(renderReport(results())).toContain('### Instructions per cached read');
    const table = instructionsSection(results().instructions);
    expect(row(table, 'secret-sidecar, node flavour')).toEqual([
      'secret-sidecar, node flavour',
      '66,000',
      '1.03×',
      '1.78×',
    ]);
    expect(table).toContain('(valgrind-3.19.0)');
  });

  it('says when instructions were not counted, and why', () => {
    const table = instructionsSection({
      perRequest: {},
      skipped: ['valgrind is not installed'],
    });
    expect(table).toContain('**SKIPPED: valgrind is not installed.**');
    expect(table).toContain('(not measured)');
  });

  it('puts the instruction counts and this run’s CPU into the HTTP note when an HTTP goal is missed', () => {
    const slow = results({
      peers: { results: peers({ node: peerResult('node', 260, 330, 37_000, 48) }), skipped: [] },
    });
    const notes = missedGoalNotes(slow).join('\n');
    expect(notes).toContain('a cached read costs the extension 66,000 against the');
    expect(notes).toContain("floor's 64,000 (1.03×;");
  });

  it('puts each server’s CPU per expiry cycle into the expiry table and note', () => {
    const late = results({ startup: startup(7, 5) });
    expect(row(renderReport(late), 'AWS Secrets Manager Agent').at(-1)).toBe('0.6 ms');
    expect(missedGoalNotes(late).join('\n')).toContain('the extension used 4.2 ms of CPU');
  });

  it('puts the goals next to this machine’s floors', () => {
    const notes = scaleNotes(results()).join('\n');
    expect(notes).toContain('answers the same keep-alive request in 80.0 µs p50 / 300 µs p99');
    expect(notes).toContain('the extension adds 20.0 µs at p50 and 100 µs at p99');
    expect(notes).toContain('`node -e 0`, spawn → exit) takes 40 ms');
    expect(notes).toContain('the extension is 10.00 MB (10,000,000 B) above it');
  });

  it('says a difference below the floor is nothing measurable rather than negative', () => {
    const r = results();
    const notes = scaleNotes({
      ...r,
      lookups: { ...r.lookups, methods: methods({ 'http-keepalive': [100, 250] }) },
    }).join('\n');
    expect(notes).toContain(
      'the extension adds 20.0 µs at p50 and nothing measurable (it was below',
    );
  });

  it.each([
    [coldStart(80, 20), 'With no secrets, 20 ms of its 60 ms go beyond starting Node itself'],
    [
      { ...coldStart(80, 20), nodeStart: spreadOf(61) },
      'With no secrets it takes 60 ms, no more than `node -e 0` alone (61 ms)',
    ],
  ])(
    'says what the extension costs beyond starting Node, or that it is within the spread',
    (c, text) => {
      expect(renderReport(results({ coldStart: c }))).toContain(text);
    },
  );

  it('links the chart by a relative path', () => {
    expect(renderReport(results())).toContain(`](${CHART_FILE})`);
  });

  it('shows measured upstream calls next to the model and the hourly projection', () => {
    const md = renderReport(results());
    expect(row(md, 'sidecar extension')).toEqual(['sidecar extension', '7', '7.3', '15', '15']);
    expect(row(md, 'Powertools getSecret, maxAge = TTL').slice(1)).toEqual(['5', '6', '12', '12']);
    expect(row(md, 'Powertools getSecret, default maxAge 5 s').slice(3)).toEqual(['720', '720']);
    expect(row(md, 'direct GetSecretValue per request').slice(1)).toEqual([
      '100',
      '100',
      '3,600',
      '36,000',
    ]);
  });

  it('says the direct call went to moto on loopback', () => {
    expect(renderReport(results())).toMatch(
      /Direct GetSecretValue here is a loopback call to moto/,
    );
  });
});

describe('chartBars', () => {
  it('shows ours, the agent and the floor over HTTP, then every method in order', () => {
    const bars = chartBars(methods(), peers());
    expect(bars.slice(0, 4).map((b) => b.label)).toEqual([
      'HTTP: secret-sidecar, node flavour',
      'HTTP: secret-sidecar, standalone flavour',
      'HTTP: AWS Secrets Manager Agent 2.1.0',
      'HTTP: bare node:http server (floor)',
    ]);
    expect(bars[4]).toEqual({
      label: 'sidecar file (readFileSync)',
      p50Us: 5,
      p99Us: 8,
      goalUs: 10,
    });
    expect(bars.find((b) => b.label.startsWith('Powertools'))).not.toHaveProperty('goalUs');
    expect(bars).toHaveLength(12);
  });
});
