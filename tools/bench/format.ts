/** Number formatting for the benchmark report. */

/** Microseconds: `0.25 µs`, `9.7 µs`, `310 µs`, `6.7 ms`, `52 ms`. */
export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return 'n/a';
  if (us >= 10_000) return `${(us / 1000).toFixed(0)} ms`;
  if (us >= 1000) return `${(us / 1000).toFixed(1)} ms`;
  if (us >= 100) return `${us.toFixed(0)} µs`;
  if (us >= 1) return `${us.toFixed(1)} µs`;
  return `${us.toFixed(2)} µs`;
}

/** Milliseconds, whole: `458 ms`. */
export function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? `${Math.round(ms)} ms` : 'n/a';
}

/** Bytes as decimal megabytes with the exact count: `1.23 MB (1,234,567 B)`. */
export function fmtBytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB (${bytes.toLocaleString('en-US')} B)`;
}

/** A ratio: `0.02×`, `1.0×`, `32×`, `1,234×`. */
export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return 'n/a';
  if (r >= 100) return `${Math.round(r).toLocaleString('en-US')}×`;
  if (r >= 10) return `${r.toFixed(0)}×`;
  if (r >= 1) return `${r.toFixed(1)}×`;
  return `${r.toFixed(2)}×`;
}

/** A count that may be fractional (model output): `15`, `7.3`. */
export function fmtCount(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  const whole = Math.abs(n - Math.round(n)) < 1e-6;
  return whole || n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

/** A Markdown table from a header row and body rows (cells are escaped for `|`). */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
