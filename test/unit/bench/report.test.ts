import { describe, expect, it } from 'vitest';
import { coldStartNetOfFetchMs, judgeGoals } from '../../../tools/bench/goals.ts';
import { CHART_FILE, chartBars, renderReport, scaleNotes } from '../../../tools/bench/report.ts';
import { coldStart, methods, results } from '../../support/bench-results.ts';

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
  return {
    methods: methods(),
    coldStart: coldStart(),
    extensionRssBytes: 40e6,
    layerZipBytes: 200_000,
    ...over,
  };
}

describe('judgeGoals', () => {
  it('passes every goal when every figure is inside its limit', () => {
    const goals = judgeGoals(goalInputs());
    expect(goals).toHaveLength(7);
    expect(goals.filter((g) => !g.pass)).toEqual([]);
  });

  it.each([
    ['file lookup p99', { methods: methods({ file: [10, 51] }) }],
    ['HTTP lookup p99, keep-alive', { methods: methods({ 'http-keepalive': [100, 501] }) }],
    ['client library warm path p99', { methods: methods({ 'client-warm': [1, 21] }) }],
    ['extension RSS', { extensionRssBytes: 50e6 + 1 }],
    ['layer zip', { layerZipBytes: 1_500_001 }],
  ])('fails %s just past its limit', (measure, over) => {
    const failed = judgeGoals(goalInputs(over)).filter((g) => !g.pass);
    expect(failed.map((g) => g.measure)).toEqual([measure]);
  });

  it('judges the cold start net of the fetch', () => {
    expect(coldStartNetOfFetchMs(coldStart(150, 60))).toBe(90);
    const within = judgeGoals(goalInputs({ coldStart: coldStart(150, 60) }));
    expect(within.every((g) => g.pass)).toBe(true);
    const over = judgeGoals(goalInputs({ coldStart: coldStart(150, 40) })).find((g) => !g.pass);
    expect(over?.measured).toBe('150 ms − 40 ms fetch = 110 ms');
  });

  it('fails a goal whose method was not measured', () => {
    const withoutFile = methods().filter((m) => m.plan.method !== 'file');
    const file = judgeGoals(goalInputs({ methods: withoutFile })).find(
      (g) => g.measure === 'file lookup p99',
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
      '10× · 20×',
      '50× · 50×',
    ]);
    expect(row(md, 'sidecar file (readFileSync)').slice(5)).toEqual([
      '1.0× · 1.0×',
      '500× · 1,000×',
    ]);
  });

  it('counts met goals in the heading and marks failures', () => {
    const md = renderReport(
      results({ layer: { zipBytes: 2_000_000, unzippedBytes: 6_000_000, files: 2 } }),
    );
    expect(md).toContain('## Goals (6 of 7 met)');
    expect(row(md, 'layer zip')).toEqual([
      'layer zip',
      '≤ 1.5 MB',
      '2.00 MB (2,000,000 B)',
      '**FAIL**',
    ]);
  });

  it('puts the goals next to this machine’s floors', () => {
    const notes = scaleNotes(results()).join('\n');
    expect(notes).toContain('answers the same keep-alive request in 80.0 µs p50 / 300 µs p99');
    expect(notes).toContain('the extension adds 20.0 µs at p50 and 100 µs at p99');
    expect(notes).toContain('`node -e 0`, spawn → exit) takes 40 ms');
    expect(notes).toContain('the extension is 10.00 MB (10,000,000 B) above it');
  });

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
  it('takes label, p50 and p99 of every method in order', () => {
    const bars = chartBars(methods());
    expect(bars[0]).toEqual({
      label: 'sidecar file (readFileSync)',
      p50Us: 10,
      p99Us: 20,
      goalUs: 50,
    });
    expect(bars.find((b) => b.label.startsWith('Powertools'))).not.toHaveProperty('goalUs');
    expect(bars.map((b) => b.label)).toHaveLength(8);
  });
});
