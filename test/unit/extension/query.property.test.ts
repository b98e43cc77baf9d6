/**
 * Properties of the HTTP API's query parser over arbitrary query strings: it answers
 * a result or a 400 naming the problem, never anything else; parameters it does not
 * define are ignored; repeats of those it defines are refused; and of `version` and
 * `label` the first one given wins.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_ID_LENGTH, parseParameterQuery, parseSecretQuery } from '../../../extension/query.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import { HttpError } from '../../../shared/http-error.ts';

const SECRET_KEYS = ['secretId', 'versionId', 'versionStage', 'refreshNow'];
const PARAMETER_KEYS = ['name', 'withDecryption', 'version', 'label', 'refreshNow'];

/** Keys: mostly defined ones, sometimes anything (cache-busters, typos, odd bytes). */
const key = (defined: readonly string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...defined) },
    { weight: 1, arbitrary: fc.string() },
  );
const value = fc.oneof(
  fc.constantFrom('', 'true', 'false', '1', '0', '3', 'AWSPREVIOUS', 'prod/openai'),
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: MAX_ID_LENGTH, maxLength: MAX_ID_LENGTH + 2 }),
);
const pairs = (defined: readonly string[]) =>
  fc.array(fc.tuple(key(defined), value), { maxLength: 8 });

function params(list: readonly (readonly [string, string])[]): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of list) p.append(k, v);
  return p;
}

/** Runs `parse`; a failure must be a 400 HttpError with a message. */
function outcome<T>(parse: () => T): { ok: true; value: T } | { ok: false; message: string } {
  try {
    return { ok: true, value: parse() };
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(400);
    expect((err as HttpError).code).toBe(ErrorCode.BadRequest);
    expect((err as HttpError).message.length).toBeGreaterThan(0);
    return { ok: false, message: (err as HttpError).message };
  }
}

describe('parseSecretQuery, for any query string', () => {
  it('answers a request or a 400, and a request honours what was given', () => {
    fc.assert(
      fc.property(pairs(SECRET_KEYS), (list) => {
        const r = outcome(() => parseSecretQuery(params(list)));
        const defined = list.filter(([k]) => SECRET_KEYS.includes(k));
        const repeated = new Set(defined.map(([k]) => k)).size !== defined.length;
        if (repeated) expect(r.ok).toBe(false);
        if (!r.ok) return;
        const get = (k: string) => defined.find(([d]) => d === k)?.[1];
        expect(r.value.request.secretId).toBe(get('secretId'));
        expect(r.value.request.versionId).toBe(get('versionId'));
        expect(r.value.request.versionStage).toBe(get('versionStage'));
        expect(
          r.value.request.versionId !== undefined && r.value.request.versionStage !== undefined,
        ).toBe(false);
        // Everything else was ignored, not refused.
        const others = list.filter(([k]) => !SECRET_KEYS.includes(k)).map(([k]) => k.slice(0, 64));
        expect(r.value.ignored).toEqual(others.slice(0, 20));
      }),
    );
  });
});

describe('parseParameterQuery, for any query string', () => {
  it('answers a request or a 400, and lets the first of version and label win', () => {
    fc.assert(
      fc.property(pairs(PARAMETER_KEYS), (list) => {
        const r = outcome(() => parseParameterQuery(params(list)));
        if (!r.ok) return;
        const defined = list.filter(([k]) => PARAMETER_KEYS.includes(k));
        expect(new Set(defined.map(([k]) => k)).size).toBe(defined.length);
        const order = defined.map(([k]) => k);
        const { version, label } = r.value.request;
        expect(version !== undefined && label !== undefined).toBe(false);
        if (order.includes('version') && order.includes('label')) {
          const versionFirst = order.indexOf('version') < order.indexOf('label');
          expect(versionFirst ? version : label).toBeDefined();
        }
        if (version !== undefined) expect(Number.isSafeInteger(version) && version > 0).toBe(true);
      }),
    );
  });
});
