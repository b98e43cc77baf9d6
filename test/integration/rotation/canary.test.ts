/**
 * Canary: rotations for every provider, successful and failing, with a RotationToken; no key
 * value, admin credential, access token or RotationToken may appear in any log or metric line,
 * nor in the errors the handler throws (Lambda prints those to the function's log).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROVIDERS } from '../../../shared/provider-secret.ts';
import { serializeError } from '../../../shared/redact.ts';
import { resumeRotation, rotate } from '../../../tools/fakes/rotation-driver.ts';
import type { StrictSecretsManagerServer } from '../../../tools/fakes/strict-secrets-manager.ts';
import { type RotationHarness, startHarness } from '../../support/rotation-harness.ts';

let h: RotationHarness & { strict: StrictSecretsManagerServer | undefined };
const thrown: string[] = [];
const rotationToken = `RT-CANARY-${randomUUID()}${randomUUID()}`;

function capture<T extends (e: unknown) => Promise<void>>(handler: T): T {
  return (async (e: unknown) => {
    try {
      await handler(e);
    } catch (err) {
      const e2 = err as Error;
      thrown.push(String(e2), e2.stack ?? '', JSON.stringify(serializeError(e2)));
      throw err;
    }
  }) as T;
}

beforeAll(async () => {
  h = await startHarness({ motoEndpoint: inject('motoEndpoint') });
});
afterAll(async () => {
  await h.close();
});

describe('no key material in logs', () => {
  it('holds across successful and failing rotations of every provider', async () => {
    for (const provider of PROVIDERS) {
      const s = await h.createSecret(provider, { poolSize: 2 });
      const handler = capture(h.handler(s, { testAttempts: 2 }));
      const opts = { client: h.client, secretId: s.arn, handler, rotationToken };
      // A clean rotation, every step twice.
      expect((await rotate({ ...opts, repeat: 2 })).ok).toBe(true);
      // A rotation whose new key the provider rejects, then a retry that succeeds.
      if (provider === 'openai') h.openai.state.propagationRejections = 2;
      if (provider === 'google') h.google.state.propagationRejections = 2;
      if (provider === 'anthropic') h.anthropic.state.failNext('models', 401, 2);
      const failing = await rotate(opts);
      h.openai.state.propagationRejections = 0;
      h.google.state.propagationRejections = 0;
      if (provider !== 'random') expect(failing.ok).toBe(false);
      expect((await resumeRotation({ ...opts, token: failing.token })).ok).toBe(true);
      await h.read(s.arn, 'AWSCURRENT');
      await h.read(s.arn, 'AWSPREVIOUS');
    }
    // A bad admin credential and a malformed secret value.
    const bad = await h.createSecret('openai');
    const wrongAdmin = capture(
      h.handler({ ...bad, adminArn: (await h.createSecret('anthropic')).adminArn }),
    );
    expect(
      (await rotate({ client: h.client, secretId: bad.arn, handler: wrongAdmin, rotationToken }))
        .ok,
    ).toBe(false);

    const secrets = new Set<string>([...h.secrets, rotationToken]);
    for (const k of h.openai.state.liveKeys()) secrets.add(k.value);
    for (const k of h.google.state.keys.values()) secrets.add(k.keyString);
    for (const t of h.google.state.tokens) secrets.add(t);
    for (const k of h.anthropic.state.keys.values()) secrets.add(k.value);
    expect(secrets.size).toBeGreaterThan(20);
    expect(h.lines.length).toBeGreaterThan(50);
    expect(thrown.length).toBeGreaterThan(0);

    const output = [...h.lines, ...h.metricLines, ...thrown];
    const leaks = [...secrets].filter((secret) => output.some((line) => line.includes(secret)));
    expect(leaks).toEqual([]);
    for (const line of output) {
      expect(line).not.toMatch(/sk-(svcacct|ant-api03|ant-admin01|admin-fake)-[A-Za-z0-9_-]{8}/);
      expect(line).not.toMatch(/AIza[0-9A-Za-z_-]{20}/);
      expect(line).not.toMatch(/ssk_[A-Za-z0-9_-]{20}/);
      expect(line).not.toContain('PRIVATE KEY');
    }
  });
});
