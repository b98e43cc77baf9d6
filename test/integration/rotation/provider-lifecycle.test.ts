/**
 * Each provider's key lifecycle against its fake, on the strict Secrets Manager model:
 *  - five rotations in a row leave exactly two live keys, AWSCURRENT's and AWSPREVIOUS's;
 *  - the function dying between any two steps (after the work of one, before the next) is
 *    recovered by the service's retry with the same token, ending in the same state;
 *  - no key appears in any log line.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tagPrefix } from '../../../rotation/rotator.ts';
import type { Provider } from '../../../shared/provider-secret.ts';
import { DRIVER_STEPS, resumeRotation, rotate } from '../../../tools/fakes/rotation-driver.ts';
import {
  isLive,
  type RotationHarness,
  startStrictHarness,
} from '../../support/rotation-harness.ts';

let h: RotationHarness;
beforeAll(async () => {
  ({ h } = await startStrictHarness(inject('motoEndpoint')));
});
afterAll(() => h?.close());

const PROVIDERS: readonly Provider[] = ['openai', 'google', 'anthropic'];

/** Every live key the providers' fakes know of for this secret's keys. */
function liveOf(keys: readonly string[]): string[] {
  return keys.filter((k) => isLive(h, k));
}

describe.each(PROVIDERS)('%s', (provider) => {
  it('ends five rotations with no live key but AWSCURRENT and AWSPREVIOUS', async () => {
    const s = await h.createSecret(provider, { poolSize: 6 });
    const seen = [s.initialKey];
    for (let i = 0; i < 5; i++) {
      const r = await rotate({ client: h.client, secretId: s.arn, handler: h.handler(s) });
      expect(r.ok, JSON.stringify(r.steps)).toBe(true);
      seen.push(String((await h.read(s.arn, 'AWSCURRENT')).apiKey));
    }
    const current = String((await h.read(s.arn, 'AWSCURRENT')).apiKey);
    const previous = String((await h.read(s.arn, 'AWSPREVIOUS')).apiKey);
    expect(new Set(seen).size).toBe(6);
    expect(liveOf(seen).sort()).toEqual([current, previous].sort());
    if (provider === 'openai') {
      // One service account per generation: only the two live generations are left.
      expect(h.openai.state.keysNamed(tagPrefix(s.arn))).toHaveLength(2);
    }
  });

  it.each(DRIVER_STEPS.slice(0, -1).map((step, i) => [step, DRIVER_STEPS[i + 1]]))(
    'recovers when the function dies between %s and %s',
    async (after) => {
      const s = await h.createSecret(provider, { poolSize: 4 });
      const first = await rotate({
        client: h.client,
        secretId: s.arn,
        handler: h.handler(s),
        stopAfter: after,
      });
      expect(first.ok).toBe(false);
      // The service retries the whole rotation with the same token.
      const retry = await resumeRotation({
        client: h.client,
        secretId: s.arn,
        handler: h.handler(s),
        token: first.token,
      });
      expect(retry.ok, JSON.stringify(retry.steps)).toBe(true);
      const current = await h.read(s.arn, 'AWSCURRENT');
      expect(current.apiKey).not.toBe(s.initialKey);
      expect(isLive(h, current.apiKey)).toBe(true);
      // One more rotation retires the initial key: nothing the failure left stays live.
      const next = await rotate({ client: h.client, secretId: s.arn, handler: h.handler(s) });
      expect(next.ok).toBe(true);
      expect(isLive(h, s.initialKey)).toBe(false);
    },
  );
});

it('wrote no key, token or admin credential in any log line', () => {
  const text = h.lines.join('\n');
  expect(text).toContain('"message":"rotation step"');
  for (const secret of h.secrets) expect(text).not.toContain(secret);
});
