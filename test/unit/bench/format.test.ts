import { describe, expect, it } from 'vitest';
import {
  fmtBytes,
  fmtCount,
  fmtMs,
  fmtRatio,
  fmtUs,
  mdTable,
} from '../../../tools/bench/format.ts';

describe('report number formats', () => {
  it.each([
    [0.214, '0.21 µs'],
    [9.34, '9.3 µs'],
    [296.1, '296 µs'],
    [6726, '6.7 ms'],
    [30_853, '31 ms'],
    [Number.NaN, 'n/a'],
  ])('fmtUs(%d) = %s', (us, text) => {
    expect(fmtUs(us)).toBe(text);
  });

  it.each([
    [0.0234, '0.02×'],
    [1, '1.0×'],
    [9.87, '9.9×'],
    [32.4, '32×'],
    [42_631.2, '42,631×'],
    [Number.POSITIVE_INFINITY, 'n/a'],
  ])('fmtRatio(%d) = %s', (r, text) => {
    expect(fmtRatio(r)).toBe(text);
  });

  it.each([
    [7, '7'],
    [7.274, '7.3'],
    [36_000, '36,000'],
    [720.4, '720'],
    [99.99999999999999, '100'],
  ])('fmtCount(%d) = %s', (n, text) => {
    expect(fmtCount(n)).toBe(text);
  });

  it('shows bytes as decimal MB with the exact count', () => {
    expect(fmtBytes(196_536)).toBe('0.20 MB (196,536 B)');
  });

  it('rounds milliseconds', () => {
    expect(fmtMs(253.6)).toBe('254 ms');
  });
});

describe('mdTable', () => {
  it('renders a header, a separator and escaped rows', () => {
    expect(mdTable(['a', 'b'], [['1', 'x | y']])).toBe(
      ['| a | b |', '| --- | --- |', '| 1 | x \\| y |'].join('\n'),
    );
  });
});
