import { describe, expect, it } from 'vitest';
import { renderLatencyChart } from '../../../tools/bench/chart.ts';

const bars = [
  { label: 'file', p50Us: 10, p99Us: 20 },
  { label: 'direct <moto> & co', p50Us: 9000, p99Us: 30_000 },
];

/** x and width of every bar rectangle (the p99 bar, then the p50 bar, per row). */
function barRects(svg: string): { x: number; width: number }[] {
  return [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="20"/g)].map(
    (m) => ({ x: Number(m[1]), width: Number(m[2]) }),
  );
}

describe('renderLatencyChart', () => {
  it('renders a standalone SVG with the title and one labelled row per bar', () => {
    const svg = renderLatencyChart('Lookup latency', bars);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('>Lookup latency</text>');
    expect(svg).toContain('>file</text>');
    expect(barRects(svg)).toHaveLength(4);
  });

  it('escapes markup in labels', () => {
    const svg = renderLatencyChart('t', bars);
    expect(svg).toContain('direct &lt;moto&gt; &amp; co');
    expect(svg).not.toContain('<moto>');
  });

  it('draws p99 at least as long as p50 and slower methods longer, on a log axis', () => {
    const [fileP99, fileP50, directP99, directP50] = barRects(renderLatencyChart('t', bars)).map(
      (r) => r.width,
    );
    expect(fileP99).toBeGreaterThan(fileP50 ?? Number.NaN);
    expect(directP99).toBeGreaterThan(directP50 ?? Number.NaN);
    expect(directP50).toBeGreaterThan(fileP99 ?? Number.NaN);
    // log scale: 10 µs → 9 ms is ~3 decades, so the direct bar is far less than 900× longer
    expect((directP50 ?? 0) / (fileP50 ?? 1)).toBeLessThan(5);
  });

  it('labels each row with its p50 and p99', () => {
    const svg = renderLatencyChart('t', bars);
    expect(svg).toContain('10.0 µs / 20.0 µs');
    expect(svg).toContain('9.0 ms / 30 ms');
  });

  it('marks a row’s goal only where one is given', () => {
    const plain = renderLatencyChart('t', bars);
    expect(plain).not.toContain('class="goal"');
    expect(plain).not.toContain('p99 goal');
    const withGoal = renderLatencyChart('t', [{ label: 'file', p50Us: 10, p99Us: 20, goalUs: 50 }]);
    expect(withGoal.match(/class="goal"/g)).toHaveLength(1);
    expect(withGoal).toContain('p99 goal');
  });

  it('places the goal marker to the right of a p99 below the goal', () => {
    const svg = renderLatencyChart('t', [{ label: 'file', p50Us: 10, p99Us: 20, goalUs: 50 }]);
    const goalX = Number(/class="goal" x1="([\d.]+)"/.exec(svg)?.[1]);
    const [p99Rect] = barRects(svg);
    expect(goalX).toBeGreaterThan((p99Rect?.x ?? 0) + (p99Rect?.width ?? 0));
  });

  it('moves the figures past a goal marker that would cross them', () => {
    const svg = renderLatencyChart('t', [{ label: 'file', p50Us: 10, p99Us: 29, goalUs: 50 }]);
    const goalX = Number(/class="goal" x1="([\d.]+)"/.exec(svg)?.[1]);
    const textX = Number(/<text x="([\d.]+)" y="[\d.]+" fill="#333333">/.exec(svg)?.[1]);
    expect(textX).toBeGreaterThan(goalX);
  });
});
