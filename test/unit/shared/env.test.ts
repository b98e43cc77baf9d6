import { describe, expect, it } from 'vitest';
import { deepFreeze, EnvReader } from '../../../shared/env.ts';
import { ConfigError } from '../../../shared/errors.ts';

describe('EnvReader', () => {
  it.each([
    ['unset uses the default', undefined, 300],
    ['blank uses the default', '   ', 300],
    ['a valid integer', '60', 60],
    ['the lower bound', '0', 0],
    ['the upper bound', '86400', 86400],
  ])('int: %s', (_name, value, expected) => {
    const r = new EnvReader({ TTL: value });
    expect(r.int('TTL', { default: 300, min: 0, max: 86400 })).toBe(expected);
    expect(r.issues).toEqual([]);
  });

  it.each([
    ['not a number', 'abc'],
    ['a fraction', '1.5'],
    ['below the range', '-1'],
    ['above the range', '86401'],
  ])('int rejects %s and names the variable and the range', (_name, value) => {
    const r = new EnvReader({ TTL: value });
    r.int('TTL', { default: 300, min: 0, max: 86400 });
    expect(r.issues).toEqual([
      { variable: 'TTL', problem: `must be an integer from 0 to 86400, got "${value}"` },
    ]);
  });

  it.each([
    ['true', true],
    ['FALSE', false],
    ['1', true],
    ['off', false],
  ])('bool accepts %s', (value, expected) => {
    expect(new EnvReader({ B: value }).bool('B', !expected)).toBe(expected);
  });

  it('bool rejects anything else', () => {
    const r = new EnvReader({ B: 'maybe' });
    r.bool('B', true);
    expect(r.issues[0]?.problem).toBe('must be true or false, got "maybe"');
  });

  it('oneOf returns the canonical spelling, case-insensitively', () => {
    expect(new EnvReader({ L: 'DEBUG' }).oneOf('L', ['debug', 'info'] as const, 'info')).toBe(
      'debug',
    );
  });

  it('oneOf lists the allowed values when it rejects', () => {
    const r = new EnvReader({ L: 'loud' });
    r.oneOf('L', ['debug', 'info'] as const, 'info');
    expect(r.issues[0]).toEqual({
      variable: 'L',
      problem: 'must be one of debug, info, got "loud"',
    });
  });

  it('list splits on commas and drops blanks', () => {
    expect(new EnvReader({ S: ' a, b ,,c ' }).list('S')).toEqual(['a', 'b', 'c']);
  });

  it('url rejects non-http schemes', () => {
    const r = new EnvReader({ U: 'ftp://x' });
    expect(r.url('U', undefined)).toBeUndefined();
    expect(r.issues[0]?.variable).toBe('U');
  });

  it('done throws one ConfigError naming every bad variable', () => {
    const r = new EnvReader({ A: 'x', B: 'y' });
    r.int('A', { default: 1, min: 0, max: 5 });
    r.bool('B', false);
    let caught: unknown;
    try {
      r.done();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const err = caught as ConfigError;
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.issues.map((i) => i.variable)).toEqual(['A', 'B']);
    expect(err.message).toContain('A must be an integer from 0 to 5');
    expect(err.message).toContain('B must be true or false');
  });

  it('truncates very long values in messages', () => {
    const r = new EnvReader({ A: 'x'.repeat(500) });
    r.int('A', { default: 1, min: 0, max: 5 });
    expect(r.issues[0]?.problem.length).toBeLessThan(120);
  });
});

describe('deepFreeze', () => {
  it('freezes nested objects and arrays', () => {
    const cfg = deepFreeze({ a: { b: [1, 2] } });
    expect(Object.isFrozen(cfg.a)).toBe(true);
    expect(Object.isFrozen(cfg.a.b)).toBe(true);
  });
});
