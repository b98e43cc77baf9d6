/**
 * The whole rotation, driven step by step as the service would, against the strict
 * Secrets Manager model and each provider's fake server.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROVIDERS } from '../../../shared/provider-secret.ts';
import { rotate } from '../../../tools/fakes/rotation-driver.ts';
import { isLive, type RotationHarness, startHarness } from '../../support/rotation-harness.ts';

let h: RotationHarness;

beforeAll(async () => {
  h = await startHarness({ motoEndpoint: inject('motoEndpoint') });
});
afterAll(async () => {
  await h.close();
});

describe.each(PROVIDERS)('a %s key', (provider) => {
  it('is replaced by a new working key and the old one stays valid as AWSPREVIOUS', async () => {
    const s = await h.createSecret(provider);
    const handler = h.handler(s);

    const r = await rotate({ client: h.client, secretId: s.arn, handler });

    expect(r.steps.map((x) => [x.step, x.ok])).toEqual([
      ['createSecret', true],
      ['setSecret', true],
      ['testSecret', true],
      ['finishSecret', true],
    ]);
    const current = await h.read(s.arn, 'AWSCURRENT');
    const previous = await h.read(s.arn, 'AWSPREVIOUS');
    expect(current.apiKey).not.toBe(s.initialKey);
    expect(current.provider).toBe(provider);
    expect(previous.apiKey).toBe(s.initialKey);
    if (provider !== 'random') {
      expect(isLive(h, current.apiKey)).toBe(true);
      expect(isLive(h, previous.apiKey)).toBe(true);
    }
  });

  it('revokes only the key that falls off AWSPREVIOUS on the next rotation', async () => {
    const s = await h.createSecret(provider);
    const handler = h.handler(s);
    await rotate({ client: h.client, secretId: s.arn, handler });
    const second = await h.read(s.arn, 'AWSCURRENT');

    const r = await rotate({ client: h.client, secretId: s.arn, handler });

    expect(r.ok).toBe(true);
    const current = await h.read(s.arn, 'AWSCURRENT');
    const previous = await h.read(s.arn, 'AWSPREVIOUS');
    expect(previous.apiKey).toBe(second.apiKey);
    expect(current.retires).toEqual({ provider, keyId: s.initialKeyId });
    if (provider !== 'random') {
      expect(isLive(h, s.initialKey)).toBe(false);
      expect(isLive(h, previous.apiKey)).toBe(true);
      expect(isLive(h, current.apiKey)).toBe(true);
    }
  });
});
