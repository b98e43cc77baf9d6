/** A dependency-free horizontal bar chart (log scale) rendered as SVG for docs/BENCHMARKS.md. */

/** One bar: a label and p50/p99 in microseconds. */
export interface Bar {
  readonly label: string;
  readonly p50Us: number;
  readonly p99Us: number;
  /** The row's p99 goal, drawn as a red marker. */
  readonly goalUs?: number;
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
  const width = labelW + plotW + 150;
  const height = top + bars.length * rowH + 44;
  const maxUs = Math.max(10, ...bars.map((b) => Math.max(b.p99Us, b.goalUs ?? 0)));
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
    const text = `${fmtUs(b.p50Us)} / ${fmtUs(b.p99Us)}`;
    const gx = b.goalUs === undefined ? undefined : x(b.goalUs);
    // The figures follow the p99 bar, moved past the goal marker if it would cross them.
    let tx = x(b.p99Us) + 6;
    if (gx !== undefined && gx >= tx - 4 && gx <= tx + text.length * 7) tx = gx + 6;
    parts.push(
      `<text x="${labelW - 10}" y="${y + 20}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${labelW}" y="${y + 6}" width="${Math.max(1, x(b.p99Us) - labelW)}" height="20" fill="#9ecae1"/>`,
      `<rect x="${labelW}" y="${y + 6}" width="${Math.max(1, x(b.p50Us) - labelW)}" height="20" fill="#3182bd"/>`,
      `<text x="${tx}" y="${y + 20}" fill="#333333">${esc(text)}</text>`,
    );
    if (gx !== undefined) {
      parts.push(
        `<line class="goal" x1="${gx}" y1="${y + 2}" x2="${gx}" y2="${y + 30}" stroke="#d62728" stroke-width="2"/>`,
      );
    }
  });
  const ly = top + bars.length * rowH + 32;
  parts.push(
    `<rect x="${labelW}" y="${ly - 10}" width="12" height="12" fill="#3182bd"/><text x="${labelW + 18}" y="${ly}">p50</text>`,
    `<rect x="${labelW + 70}" y="${ly - 10}" width="12" height="12" fill="#9ecae1"/><text x="${labelW + 88}" y="${ly}">p99 (log scale, lower is better)</text>`,
    ...(bars.some((b) => b.goalUs !== undefined)
      ? [
          `<line x1="${labelW + 330}" y1="${ly - 11}" x2="${labelW + 330}" y2="${ly + 3}" stroke="#d62728" stroke-width="2"/><text x="${labelW + 338}" y="${ly}">p99 goal</text>`,
        ]
      : []),
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
