/**
 * Idempotency and recovery: every step twice, a failure between every pair of steps, failures
 * inside steps, and abandoned rotations. AWSCURRENT keeps working throughout.
 */
import { randomUUID } from 'node:crypto';
import { GetSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RotationHandler } from '../../../rotation/handler.ts';
import { tagPrefix } from '../../../rotation/rotator.ts';
import { PROVIDERS, type Provider } from '../../../shared/provider-secret.ts';
import {
  DEFAULT_ROTATION_LAMBDA_ARN,
  type DriverStep,
  removePending,
  resumeRotation,
  rotate,
} from '../../../tools/fakes/rotation-driver.ts';
import type { StrictSecretsManagerServer } from '../../../tools/fakes/strict-secrets-manager.ts';
import {
  isLive,
  type RotationHarness,
  startStrictHarness,
  type TestSecret,
} from '../../support/rotation-harness.ts';

let h: RotationHarness & { strict: StrictSecretsManagerServer | undefined };
let model: StrictSecretsManagerServer['state'];

beforeAll(async () => {
  ({ h, model } = await startStrictHarness(inject('motoEndpoint')));
});
afterAll(async () => {
  await h.close();
});

/** Provider keys that exist (live) for `token`, minted or claimed. */
async function keysFor(s: TestSecret, token: string): Promise<string[]> {
  const tag = `${tagPrefix(s.arn)}${token}`;
  switch (s.provider) {
    case 'openai':
      return h.openai.state.keysNamed(tag).map((k) => k.id);
    case 'google':
      return h.google.state
        .liveKeys()
        .filter((k) => k.annotations['secret-sidecar/rotation-tag'] === tag)
        .map((k) => k.keyId);
    case 'anthropic': {
      const pool = JSON.parse(
        (
          await h.client.send(
            new GetSecretValueCommand({ SecretId: s.poolArn, VersionStage: 'AWSCURRENT' }),
          )
        ).SecretString as string,
      ) as { keys: { keyId: string; claimedBy?: string }[] };
      return pool.keys.filter((k) => k.claimedBy === tag).map((k) => k.keyId);
    }
    case 'random':
      return [];
  }
}

/** Asserts the state after one complete rotation from the initial key. */
async function expectRotated(s: TestSecret, token: string): Promise<void> {
  const current = await h.read(s.arn, 'AWSCURRENT');
  const previous = await h.read(s.arn, 'AWSPREVIOUS');
  expect(previous.apiKey).toBe(s.initialKey);
  expect(current.apiKey).not.toBe(s.initialKey);
  expect(model.stages(s.arn)[token]).toEqual(['AWSCURRENT']);
  if (s.provider !== 'random') {
    expect(await keysFor(s, token)).toEqual([current.keyId]);
    expect(isLive(h, current.apiKey)).toBe(true);
    expect(isLive(h, previous.apiKey)).toBe(true);
  }
}

/** Resumes the rotation of `token` and asserts it completes to the rotated state. */
async function expectRetryConverges(
  s: TestSecret,
  handler: RotationHandler,
  token: string,
  afterStep?: () => Promise<void>,
): Promise<void> {
  const retry = await resumeRotation({
    client: h.client,
    secretId: s.arn,
    handler,
    token,
    ...(afterStep ? { afterStep } : {}),
  });

  expect(retry.ok).toBe(true);
  await expectRotated(s, token);
}

/** After every successful step, AWSCURRENT must still work at the provider. */
function currentStaysLive(s: TestSecret) {
  return async () => {
    const current = await h.read(s.arn, 'AWSCURRENT');
    if (s.provider !== 'random') expect(isLive(h, current.apiKey)).toBe(true);
  };
}

describe.each(PROVIDERS)('%s', (provider: Provider) => {
  it('every step run twice reaches the same end state as once', async () => {
    const s = await h.createSecret(provider);

    const r = await rotate({
      client: h.client,
      secretId: s.arn,
      handler: h.handler(s),
      repeat: 2,
      afterStep: currentStaysLive(s),
    });

    expect(r.ok).toBe(true);
    expect(r.steps).toHaveLength(8);
    await expectRotated(s, r.token);
  });

  it.each<DriverStep>(['createSecret', 'setSecret', 'testSecret'])(
    'a failure after %s is recovered by retrying the whole rotation',
    async (stopAfter) => {
      const s = await h.createSecret(provider);
      const handler = h.handler(s);

      const first = await rotate({
        client: h.client,
        secretId: s.arn,
        handler,
        stopAfter,
        afterStep: currentStaysLive(s),
      });
      expect(first.ok).toBe(false);
      expect((await h.read(s.arn, 'AWSCURRENT')).apiKey).toBe(s.initialKey);
      await currentStaysLive(s)();

      await expectRetryConverges(s, handler, first.token, currentStaysLive(s));
    },
  );

  it('a PutSecretValue that fails after the key was issued does not leave a second key', async () => {
    const s = await h.createSecret(provider);
    const handler = h.handler(s);
    model.failNext('PutSecretValue', { type: 'InternalServiceError', status: 500 });

    const first = await rotate({ client: h.client, secretId: s.arn, handler });
    expect(first.steps).toEqual([expect.objectContaining({ step: 'createSecret', ok: false })]);
    await expectRetryConverges(s, handler, first.token);
  });

  it('a PutSecretValue whose answer was lost counts as done on retry', async () => {
    const s = await h.createSecret(provider);
    const handler = h.handler(s);
    model.failNext('PutSecretValue', { type: 'InternalServiceError', status: 500, when: 'after' });

    const first = await rotate({ client: h.client, secretId: s.arn, handler });
    expect(first.ok).toBe(false);
    await expectRetryConverges(s, handler, first.token);
  });
});

describe('keys from failed or abandoned attempts', () => {
  it('OpenAI: a key orphaned by an abandoned rotation is swept by the next rotation', async () => {
    const s = await h.createSecret('openai');
    const handler = h.handler(s);
    const abandoned = await rotate({
      client: h.client,
      secretId: s.arn,
      handler,
      stopAfter: 'testSecret',
    });
    // The runbook's recovery: remove AWSPENDING from the stuck version.
    await removePending(h.client, s.arn, abandoned.token);
    expect(await keysFor(s, abandoned.token)).toHaveLength(1);

    const next = await rotate({ client: h.client, secretId: s.arn, handler });

    expect(next.ok).toBe(true);
    expect(await keysFor(s, abandoned.token)).toEqual([]);
    await expectRotated(s, next.token);
  });

  it('Anthropic: a pool key claimed by an abandoned rotation is deactivated by the next rotation', async () => {
    const s = await h.createSecret('anthropic', { poolSize: 3 });
    const handler = h.handler(s);
    const abandoned = await rotate({
      client: h.client,
      secretId: s.arn,
      handler,
      stopAfter: 'createSecret',
    });
    await removePending(h.client, s.arn, abandoned.token);
    const [orphan] = await keysFor(s, abandoned.token);

    const next = await rotate({ client: h.client, secretId: s.arn, handler });

    expect(next.ok).toBe(true);
    expect(h.anthropic.state.keys.get(orphan as string)?.status).toBe('inactive');
    await expectRotated(s, next.token);
  });

  it('OpenAI: two createSecret attempts racing for one token leave one working key', async () => {
    const s = await h.createSecret('openai');
    const handler = h.handler(s);
    const token = randomUUID();
    await h.client.send(
      new RotateSecretCommand({
        SecretId: s.arn,
        ClientRequestToken: token,
        RotationLambdaARN: DEFAULT_ROTATION_LAMBDA_ARN,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    const ev = { Step: 'createSecret', SecretId: s.arn, ClientRequestToken: token };

    await Promise.all([handler(ev), handler(ev)]);
    expect(h.openai.state.keysNamed(`${tagPrefix(s.arn)}${token}`).length).toBe(1);
    await expectRetryConverges(s, handler, token);
  });

  it('finishSecret run again after the labels moved still revokes the superseded key', async () => {
    const s = await h.createSecret('openai');
    const handler = h.handler(s);
    await rotate({ client: h.client, secretId: s.arn, handler });
    h.openai.state.failNext('delete', 500);

    const second = await rotate({ client: h.client, secretId: s.arn, handler });
    expect(second.steps.at(-1)).toMatchObject({ step: 'finishSecret', ok: false });
    expect(model.stages(s.arn)[second.token]).toContain('AWSCURRENT');
    expect(isLive(h, s.initialKey)).toBe(true);

    await handler({ Step: 'finishSecret', SecretId: s.arn, ClientRequestToken: second.token });

    expect(isLive(h, s.initialKey)).toBe(false);
    expect(isLive(h, (await h.read(s.arn, 'AWSPREVIOUS')).apiKey)).toBe(true);
  });

  it('a provider outage while minting leaves AWSCURRENT as it was, and the retry converges', async () => {
    const s = await h.createSecret('google');
    const handler = h.handler(s);
    h.google.state.failNext('create', 503);

    const first = await rotate({ client: h.client, secretId: s.arn, handler });
    expect(first.ok).toBe(false);
    expect((await h.read(s.arn, 'AWSCURRENT')).apiKey).toBe(s.initialKey);
    await expectRetryConverges(s, handler, first.token);
  });

  it('a rotation whose AWSPENDING the service has not cleaned up yet does not block the next one', async () => {
    const s = await h.createSecret('openai');
    const handler = h.handler(s);
    const first = await rotate({
      client: h.client,
      secretId: s.arn,
      handler,
      stopAfter: 'finishSecret',
    });
    expect(model.stages(s.arn)[first.token]).toEqual(['AWSCURRENT', 'AWSPENDING']);

    const next = await rotate({ client: h.client, secretId: s.arn, handler });

    expect(next.ok).toBe(true);
    expect(model.stages(s.arn)[first.token]).toEqual(['AWSPREVIOUS']);
    expect(isLive(h, (await h.read(s.arn, 'AWSPREVIOUS')).apiKey)).toBe(true);
  });

  it('a stale AWSPENDING from a failed rotation blocks a new one until it is cleared', async () => {
    const s = await h.createSecret('openai');
    const handler = h.handler(s);
    const stuck = await rotate({
      client: h.client,
      secretId: s.arn,
      handler,
      stopAfter: 'setSecret',
    });

    await expect(
      rotate({ client: h.client, secretId: s.arn, handler, token: randomUUID() }),
    ).rejects.toThrow("A previous rotation isn't complete");
    await removePending(h.client, s.arn, stuck.token);

    const next = await rotate({ client: h.client, secretId: s.arn, handler });
    expect(next.ok).toBe(true);
    await expectRotated(s, next.token);
  });
});
