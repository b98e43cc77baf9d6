/** A dependency-free horizontal bar chart (log scale) rendered as SVG for docs/BENCHMARKS.md. */

/** One bar: a label and p50/p99 in microseconds. */
export interface Bar {
  readonly label: string;
  readonly p50Us: number;
  readonly p99Us: number;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function fmtUs(us: number): string {
  if (us >= 1000) return `${(us / 1000).toFixed(us >= 10_000 ? 0 : 1)} ms`;
  return `${us.toFixed(us >= 100 ? 0 : 1)} µs`;
}

/** Renders p50 (solid) and p99 (light) bars per row on a log10 axis. */
export function renderLatencyChart(title: string, bars: readonly Bar[]): string {
  const labelW = 300;
  const plotW = 520;
  const rowH = 34;
  const top = 48;
  const width = labelW + plotW + 90;
  const height = top + bars.length * rowH + 44;
  const maxUs = Math.max(10, ...bars.map((b) => b.p99Us));
  const minLog = -1; // 0.1 µs
  const maxLog = Math.ceil(Math.log10(maxUs));
  const x = (us: number): number =>
    labelW + ((Math.log10(Math.max(us, 0.1)) - minLog) / (maxLog - minLog)) * plotW;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let e = minLog; e <= maxLog; e++) {
    const gx = x(10 ** e);
    parts.push(
      `<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + bars.length * rowH}" stroke="#dddddd"/>`,
      `<text x="${gx}" y="${top + bars.length * rowH + 16}" text-anchor="middle" fill="#555555">${esc(fmtUs(10 ** e))}</text>`,
    );
  }
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    parts.push(
      `<text x="${labelW - 10}" y="${y + 20}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${labelW}" y="${y + 6}" width="${Math.max(1, x(b.p99Us) - labelW)}" height="20" fill="#9ecae1"/>`,
      `<rect x="${labelW}" y="${y + 6}" width="${Math.max(1, x(b.p50Us) - labelW)}" height="20" fill="#3182bd"/>`,
      `<text x="${x(b.p99Us) + 6}" y="${y + 20}" fill="#333333">${esc(`${fmtUs(b.p50Us)} / ${fmtUs(b.p99Us)}`)}</text>`,
    );
  });
  const ly = top + bars.length * rowH + 32;
  parts.push(
    `<rect x="${labelW}" y="${ly - 10}" width="12" height="12" fill="#3182bd"/><text x="${labelW + 18}" y="${ly}">p50</text>`,
    `<rect x="${labelW + 70}" y="${ly - 10}" width="12" height="12" fill="#9ecae1"/><text x="${labelW + 88}" y="${ly}">p99 (log scale, lower is better)</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
