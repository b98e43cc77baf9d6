import { describe, expect, it } from 'vitest';
import { isSensitiveKey, REDACTED, Redactor } from '../../../shared/redact.ts';

describe('Redactor', () => {
  it('masks a registered value anywhere inside a string', () => {
    const r = new Redactor();
    r.register('CANARY-abc123');
    expect(r.redactString('failed with CANARY-abc123 in it')).toBe(`failed with ${REDACTED} in it`);
  });

  it('registers each string field of a JSON secret', () => {
    const r = new Redactor();
    r.register(JSON.stringify({ apiKey: 'key-material-42', provider: 'openai' }));
    expect(r.redactString('x key-material-42 y')).toBe(`x ${REDACTED} y`);
  });

  it('ignores values too short to mask safely', () => {
    const r = new Redactor();
    r.register('abc');
    expect(r.size).toBe(0);
    expect(r.redactString('abc')).toBe('abc');
  });

  it('masks the longer of two overlapping values whole', () => {
    const r = new Redactor();
    r.register('secret-value');
    r.register('secret-value-long');
    expect(r.redactString('secret-value-long')).toBe(REDACTED);
  });

  it('masks values under sensitive keys, however deep', () => {
    const r = new Redactor();
    const out = r.redact({
      a: { Authorization: 'Bearer x', apiKey: 'k', nested: [{ SecretString: 's' }] },
      secretId: 'my-secret',
    });
    expect(out).toEqual({
      a: { Authorization: REDACTED, apiKey: REDACTED, nested: [{ SecretString: REDACTED }] },
      secretId: 'my-secret',
    });
  });

  it('masks bearer credentials and provider key shapes without registration', () => {
    const r = new Redactor();
    expect(r.redactString('auth Bearer abcdefghijkl failed')).toBe(`auth ${REDACTED} failed`);
    expect(r.redactString('key sk-proj-abcdefghijklmnop bad')).toBe(`key ${REDACTED} bad`);
  });

  it('serializes errors with their cause and masks values in messages', () => {
    const r = new Redactor();
    r.register('CANARY-in-error');
    const err = new Error('outer', { cause: new Error('inner CANARY-in-error') });
    const line = JSON.stringify({ err }, r.replacer);
    expect(line).toContain('"message":"outer"');
    expect(line).not.toContain('CANARY-in-error');
  });

  it('replaces circular references', () => {
    const r = new Redactor();
    const a: Record<string, unknown> = { name: 'x' };
    a.self = a;
    expect(r.redact(a)).toEqual({ name: 'x', self: '[Circular]' });
  });
});

describe('isSensitiveKey', () => {
  it.each([
    ['token', true],
    ['X-Aws-Parameters-Secrets-Token', true],
    ['apiKey', true],
    ['api_key', true],
    ['SecretString', true],
    ['password', true],
    ['secretId', false],
    ['keyId', false],
    ['totalTokens', false],
    ['versionId', false],
  ])('%s → %s', (key, expected) => {
    expect(isSensitiveKey(key)).toBe(expected);
  });
});

describe('Redactor safe keys', () => {
  it('writes a declared identifier key as is', () => {
    const r = new Redactor({ safeKeys: ['token'] });
    expect(JSON.stringify({ token: 'a1b2c3d4-0000-4000-8000-000000000000' }, r.replacer)).toBe(
      '{"token":"a1b2c3d4-0000-4000-8000-000000000000"}',
    );
  });

  it('still masks a registered secret under a declared identifier key', () => {
    const r = new Redactor({ safeKeys: ['token'] });
    r.register('CANARY-safe-key');
    expect(JSON.stringify({ token: 'CANARY-safe-key' }, r.replacer)).toBe(
      `{"token":"${REDACTED}"}`,
    );
  });
});

describe('Redactor at the sizes and counts AWS allows', () => {
  it.each([
    [32_768],
    [65_536],
    [87_384], // base64 of a 65,536-byte SecretBinary
  ])('masks a registered value of %i characters, whole and inside text', (n) => {
    const r = new Redactor();
    const value = `CANARY-${'q'.repeat(n - 7)}`;
    r.register(value);
    expect(r.redactString(value)).toBe(REDACTED);
    expect(r.redactString(`before ${value} after`)).toBe(`before ${REDACTED} after`);
    expect(JSON.stringify({ message: `x${value}` }, r.replacer)).toBe(`{"message":"x${REDACTED}"}`);
  });

  it('masks every one of 5,000 registered values', () => {
    const r = new Redactor();
    const values = Array.from(
      { length: 5_000 },
      (_, i) => `CANARY-${i.toString(36)}-${'k'.repeat(i % 50)}`,
    );
    for (const v of values) r.register(v);
    const line = values.filter((_, i) => i % 250 === 0).join(' | ');
    const masked = r.redactString(line);
    for (const [i, v] of values.entries()) if (i % 250 === 0) expect(masked).not.toContain(v);
  });

  it('forgets a value once every registration of it is released', () => {
    const r = new Redactor();
    r.register('CANARY-held-twice');
    r.register('CANARY-held-twice');
    r.release('CANARY-held-twice');
    expect(r.redactString('CANARY-held-twice')).toBe(REDACTED);
    r.release('CANARY-held-twice');
    expect(r.redactString('CANARY-held-twice')).toBe('CANARY-held-twice');
    expect(r.size).toBe(0);
  });

  it('keeps identifiers in a JSON secret readable, masking the fields under sensitive keys', () => {
    const r = new Redactor();
    r.register(
      JSON.stringify({
        provider: 'openai',
        name: 'prod/openai',
        apiKey: 'sk-material-000001',
        nested: { password: 'hunter2-hunter2' },
      }),
    );
    expect(r.redactString('prod/openai uses openai')).toBe('prod/openai uses openai');
    expect(r.redactString('key sk-material-000001')).toBe(`key ${REDACTED}`);
    expect(r.redactString('pw hunter2-hunter2')).toBe(`pw ${REDACTED}`);
  });

  it('masks the JSON-escaped form of a value, as it appears inside an echoed JSON body', () => {
    const r = new Redactor();
    const value = 'line1\n"quoted"\\tail-CANARY';
    r.register(value);
    const echoed = `upstream said ${JSON.stringify({ secret: value })}`;
    expect(r.redactString(echoed)).not.toContain('quoted');
  });

  it('never throws, whatever it is given', () => {
    const r = new Redactor();
    r.register('CANARY-never-throws');
    const hostile = {
      get boom(): never {
        throw new Error('getter CANARY-never-throws');
      },
    };
    expect(() => r.redact(hostile)).not.toThrow();
    expect(() =>
      JSON.stringify({ a: 1n, b: new Error('CANARY-never-throws') }, r.replacer),
    ).not.toThrow();
    expect(r.redactString('')).toBe('');
  });
});
