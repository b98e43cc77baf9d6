import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenGuard } from '../../../extension/token.ts';

const TOKEN = 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+session+token==';

describe('TokenGuard', () => {
  it.each([
    ['the exact token', TOKEN, true],
    ['the token with its last character changed', `${TOKEN.slice(0, -1)}x`, false],
    ['a prefix of the token', TOKEN.slice(0, -1), false],
    ['the token with a character appended', `${TOKEN}=`, false],
    ['the empty string', '', false],
    ['the token in other case', TOKEN.toLowerCase(), false],
    [
      'a value of the same byte length with a multi-byte character',
      `${TOKEN.slice(0, -2)}é`,
      false,
    ],
  ])('matches %s: %s', (_label, presented, expected) => {
    expect(new TokenGuard(TOKEN).matches(presented)).toBe(expected);
  });

  it('fails a prefix of the token right after the token matched (the copy buffer is reused)', () => {
    const guard = new TokenGuard(TOKEN);
    expect(guard.matches(TOKEN)).toBe(true);
    expect(guard.matches(TOKEN.slice(0, 10))).toBe(false);
    expect(guard.matches(TOKEN)).toBe(true);
  });

  it.each([
    ['the same characters', 'pässwörd-€', true],
    ['one character short', 'pässwörd-', false],
    ['a multi-byte character that does not fit after the token', 'pässwörd-€€', false],
    ['ASCII of the same byte length', 'passwoerd-abc', false],
  ])('matches a multi-byte token against %s', (_label, presented, expected) => {
    expect(new TokenGuard('pässwörd-€').matches(presented)).toBe(expected);
  });

  it('accepts exactly the expected token, for any token and any other value', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }),
        fc.string({ maxLength: 200, unit: 'grapheme' }),
        (token, other) => {
          const guard = new TokenGuard(token);
          expect(guard.matches(token)).toBe(true);
          expect(guard.matches(other)).toBe(other === token);
          // the token again after the other value, and values that start with it
          expect(guard.matches(token)).toBe(true);
          expect(guard.matches(`${token}${other}`)).toBe(other === '');
        },
      ),
    );
  });
});
