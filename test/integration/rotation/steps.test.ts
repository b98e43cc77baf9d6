/**
 * Each rotation step and the guards every step runs, against the strict Secrets Manager model
 * and the fake OpenAI Admin API.
 */
import { randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tagPrefix } from '../../../rotation/rotator.ts';
import { rotate } from '../../../tools/fakes/rotation-driver.ts';
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

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:rot';

/** Starts a rotation (RotateSecret) without running any step. */
async function start(s: TestSecret): Promise<string> {
  const token = randomUUID();
  await h.client.send(
    new RotateSecretCommand({
      SecretId: s.arn,
      ClientRequestToken: token,
      RotationLambdaARN: LAMBDA,
      RotationRules: { AutomaticallyAfterDays: 30 },
    }),
  );
  return token;
}

const ev = (s: TestSecret, token: string, step: string, extra: Record<string, string> = {}) => ({
  Step: step,
  SecretId: s.arn,
  ClientRequestToken: token,
  ...extra,
});

describe('the guards', () => {
  it('rejects an unknown step with a clear error naming the allowed steps', async () => {
    const s = await h.createSecret('openai');
    const token = await start(s);

    await expect(h.handler(s)(ev(s, token, 'create_secret'))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining(
        'Step must be one of createSecret, setSecret, testSecret, finishSecret',
      ),
    });
  });

  it('fails every step when rotation is not enabled on the secret', async () => {
    const s = await h.createSecret('openai');

    await expect(h.handler(s)(ev(s, randomUUID(), 'createSecret'))).rejects.toMatchObject({
      errorType: 'RotationNotEnabled',
    });
  });

  it('fails when the token has no stage', async () => {
    const s = await h.createSecret('openai');
    await start(s);

    await expect(h.handler(s)(ev(s, randomUUID(), 'setSecret'))).rejects.toMatchObject({
      errorType: 'VersionHasNoStage',
    });
  });

  it('fails when the token is not AWSPENDING', async () => {
    const s = await h.createSecret('openai');
    await rotate({ client: h.client, secretId: s.arn, handler: h.handler(s) });
    const d = await h.client.send(new DescribeSecretCommand({ SecretId: s.arn }));
    const previous = Object.entries(d.VersionIdsToStages ?? {}).find(([, st]) =>
      st.includes('AWSPREVIOUS'),
    )?.[0] as string;

    await expect(h.handler(s)(ev(s, previous, 'testSecret'))).rejects.toMatchObject({
      errorType: 'VersionNotPending',
    });
  });

  it.each(['createSecret', 'setSecret', 'testSecret', 'finishSecret'])(
    'treats %s for a token that is already AWSCURRENT as success',
    async (step) => {
      const s = await h.createSecret('openai');
      const r = await rotate({ client: h.client, secretId: s.arn, handler: h.handler(s) });
      const minted = h.openai.state.minted;

      await expect(h.handler(s)(ev(s, r.token, step))).resolves.toBeUndefined();

      expect(h.openai.state.minted).toBe(minted);
      expect(h.audit().at(-1)).toMatchObject({ step, outcome: 'skipped', token: r.token });
    },
  );
});

describe('configuration problems', () => {
  it('names ROTATION_ADMIN_SECRET_ARN when a provider needs it and it is not set', async () => {
    const s = await h.createSecret('openai');
    const token = await start(s);

    await expect(
      h.handler({ ...s, adminArn: undefined })(ev(s, token, 'createSecret')),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('ROTATION_ADMIN_SECRET_ARN must be set'),
    });
    expect((await h.read(s.arn, 'AWSCURRENT')).apiKey).toBe(s.initialKey);
  });

  it('names ROTATION_KEY_POOL_SECRET_ARN when the anthropic issuer has no pool', async () => {
    const s = await h.createSecret('anthropic');
    const token = await start(s);

    await expect(
      h.handler({ ...s, poolArn: undefined })(ev(s, token, 'createSecret')),
    ).rejects.toThrow('ROTATION_KEY_POOL_SECRET_ARN must be set');
  });

  it('rejects a current value that is not a provider secret, naming the field', async () => {
    const s = await h.createSecret('openai');
    await h.client.send(
      new PutSecretValueCommand({
        SecretId: s.arn,
        SecretString: JSON.stringify({ provider: 'azure', apiKey: 'sk-not-logged-0000000000' }),
      }),
    );
    const token = await start(s);

    await expect(h.handler(s)(ev(s, token, 'createSecret'))).rejects.toThrow(
      'secret version AWSCURRENT is not a valid provider secret: provider must be one of openai, google, anthropic, random',
    );
  });
});

describe('createSecret', () => {
  it('mints one key tagged with the token and stores it as AWSPENDING for that token', async () => {
    const s = await h.createSecret('openai');
    const token = await start(s);

    await h.handler(s)(ev(s, token, 'createSecret'));

    expect(model.stages(s.arn)[token]).toEqual(['AWSPENDING']);
    const tagged = h.openai.state.keysNamed(`${tagPrefix(s.arn)}${token}`);
    expect(tagged).toHaveLength(1);
    const current = await h.read(s.arn, 'AWSCURRENT');
    expect(current.apiKey).toBe(s.initialKey);
  });

  it('run again for the same token stores nothing new and mints nothing', async () => {
    const s = await h.createSecret('openai');
    const token = await start(s);
    const handler = h.handler(s);
    await handler(ev(s, token, 'createSecret'));
    const minted = h.openai.state.minted;

    await handler(ev(s, token, 'createSecret'));

    expect(h.openai.state.minted).toBe(minted);
    expect(h.audit().at(-1)).toMatchObject({ step: 'createSecret', outcome: 'skipped' });
  });

  it('passes the RotationToken through to PutSecretValue and never logs it', async () => {
    const s = await h.createSecret('openai');
    const token = await start(s);
    const rotationToken = `rt-${randomUUID()}-${randomUUID()}`;

    await h.handler(s)(ev(s, token, 'createSecret', { RotationToken: rotationToken }));

    expect(model.rotationTokens).toContain(rotationToken);
    expect(h.lines.join('\n')).not.toContain(rotationToken);
  });

  it("keeps the secret's other fields and records the key it will retire", async () => {
    const s = await h.createSecret('openai');
    const handler = h.handler(s);
    await rotate({ client: h.client, secretId: s.arn, handler });
    const token = await start(s);

    await handler(ev(s, token, 'createSecret'));

    const pending = JSON.parse(model.secret(s.arn).versions.get(token)?.value as string) as Record<
      string,
      unknown
    >;
    expect(pending).toMatchObject({
      provider: 'openai',
      model: 'gpt-4o-mini',
      baseURL: h.openai.url,
      retires: { provider: 'openai', keyId: s.initialKeyId },
    });
  });
});

describe('testSecret', () => {
  it('retries a key the provider does not accept yet, with growing waits', async () => {
    const s = await h.createSecret('openai');
    const token = await start(s);
    const handler = h.handler(s);
    h.openai.state.propagationRejections = 2;
    await handler(ev(s, token, 'createSecret'));
    h.openai.state.propagationRejections = 0;
    const before = h.slept;

    await handler(ev(s, token, 'testSecret'));

    expect(h.slept - before).toBe(1000 + 2000);
    expect(h.audit().at(-1)).toMatchObject({ step: 'testSecret', outcome: 'succeeded' });
  });

  it('fails after the configured attempts when the provider keeps rejecting the key', async () => {
    const s = await h.createSecret('openai');
    const token = await start(s);
    const handler = h.handler(s, { testAttempts: 3, testBackoffMs: 100 });
    await handler(ev(s, token, 'createSecret'));
    const pending = JSON.parse(model.secret(s.arn).versions.get(token)?.value as string) as {
      keyId: string;
    };
    // The generation's account is gone (deleted by hand): its key is refused.
    h.openai.state.deleteAccount(pending.keyId);
    const before = h.slept;

    await expect(handler(ev(s, token, 'testSecret'))).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: expect.stringContaining('HTTP 401 (invalid_request_error/invalid_api_key)'),
    });
    expect(h.slept - before).toBe(100 + 200);
    expect(h.audit().at(-1)).toMatchObject({
      step: 'testSecret',
      outcome: 'failed',
      errorCode: 'UNAUTHORIZED',
      issuer: 'openai',
      keyId: pending.keyId,
    });
  });

  it('with RotateImmediately=false tests the current key on a pending version createSecret never filled', async () => {
    const s = await h.createSecret('openai');
    const minted = h.openai.state.minted;

    const r = await rotate({
      client: h.client,
      secretId: s.arn,
      handler: h.handler(s),
      rotateImmediately: false,
    });

    expect(r.steps.map((x) => [x.step, x.ok])).toEqual([['testSecret', true]]);
    expect(h.openai.state.minted).toBe(minted);
    expect((await h.read(s.arn, 'AWSCURRENT')).apiKey).toBe(s.initialKey);
    expect(Object.values(model.stages(s.arn)).flat()).not.toContain('AWSPENDING');
  });
});

describe('setSecret and finishSecret', () => {
  it('setSecret before createSecret fails with a clear error', async () => {
    const s = await h.createSecret('openai');
    const token = await start(s);

    await expect(h.handler(s)(ev(s, token, 'setSecret'))).rejects.toMatchObject({
      errorType: 'PendingValueMissing',
    });
  });

  it('finishSecret moves AWSCURRENT to the token, naming the version it leaves', async () => {
    const s = await h.createSecret('openai');
    const token = await start(s);
    const handler = h.handler(s);
    const old = Object.entries(model.stages(s.arn)).find(([, st]) =>
      st.includes('AWSCURRENT'),
    )?.[0];
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
      await handler(ev(s, token, step));
    }

    expect(model.stages(s.arn)[token]).toEqual(['AWSCURRENT', 'AWSPENDING']);
    expect(model.stages(s.arn)[old as string]).toEqual(['AWSPREVIOUS']);
    expect(isLive(h, s.initialKey)).toBe(true);
  });
});

describe('the audit trail', () => {
  it('writes one line per step with the documented fields and an EMF metric per outcome', async () => {
    const s = await h.createSecret('openai');
    const linesBefore = h.lines.length;
    const metricsBefore = h.metricLines.length;

    const r = await rotate({ client: h.client, secretId: s.arn, handler: h.handler(s) });

    const audit = h.lines
      .slice(linesBefore)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.message === 'rotation step');
    expect(audit.map((a) => a.step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    const current = await h.read(s.arn, 'AWSCURRENT');
    for (const a of audit) {
      expect(a).toMatchObject({
        level: 'info',
        secretArn: s.arn,
        token: r.token,
        outcome: 'succeeded',
        durationMs: expect.any(Number),
        issuer: 'openai',
        keyId: current.keyId,
      });
    }
    const emf = h.metricLines
      .slice(metricsBefore)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(emf).toHaveLength(4);
    for (const m of emf) {
      expect(m).toMatchObject({
        FunctionName: 'rotation-test',
        RotationStepSucceeded: 1,
        RotationStepDuration: expect.any(Number),
        _aws: {
          CloudWatchMetrics: [{ Namespace: 'SecretSidecar', Dimensions: [['FunctionName']] }],
        },
      });
    }
  });

  it('records a failed step with its error code and the RotationStepFailed metric', async () => {
    const s = await h.createSecret('openai');
    const token = await start(s);
    h.openai.state.failNext('create', 500);
    const metricsBefore = h.metricLines.length;

    await expect(h.handler(s)(ev(s, token, 'createSecret'))).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
    });

    expect(h.audit().at(-1)).toMatchObject({
      level: 'error',
      step: 'createSecret',
      outcome: 'failed',
      errorCode: 'UPSTREAM_UNAVAILABLE',
      token,
    });
    expect(JSON.parse(h.metricLines[metricsBefore] as string)).toMatchObject({
      RotationStepFailed: 1,
    });
  });
});
