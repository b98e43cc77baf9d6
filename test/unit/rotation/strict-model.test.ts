/**
 * The strict Secrets Manager model follows AWS's documented rules, through the real SDK client.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RotateSecretCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type StrictSecretsManagerServer,
  startStrictSecretsManager,
} from '../../../tools/fakes/strict-secrets-manager.ts';
import { smClient } from '../../support/rotation-harness.ts';

let sm: StrictSecretsManagerServer;
let client: SecretsManagerClient;

beforeAll(async () => {
  sm = await startStrictSecretsManager();
  client = smClient(sm.url);
});
afterAll(async () => {
  client.destroy();
  await sm.close();
});

async function secret(value = 'v1'): Promise<{ arn: string; v1: string }> {
  const out = await client.send(
    new CreateSecretCommand({ Name: `model-${randomUUID().slice(0, 8)}`, SecretString: value }),
  );
  return { arn: out.ARN as string, v1: out.VersionId as string };
}

async function stages(arn: string): Promise<Record<string, string[]>> {
  const d = await client.send(new DescribeSecretCommand({ SecretId: arn }));
  return Object.fromEntries(
    Object.entries(d.VersionIdsToStages ?? {}).map(([k, v]) => [k, [...v].sort()]),
  );
}

const rotateArgs = (arn: string, token: string) =>
  new RotateSecretCommand({
    SecretId: arn,
    ClientRequestToken: token,
    RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:rot',
    RotationRules: { AutomaticallyAfterDays: 30 },
  });

/** PutSecretValue of `value` as version `token`, staged AWSPENDING. */
const pendingArgs = (arn: string, token: string, value: string) =>
  new PutSecretValueCommand({
    SecretId: arn,
    ClientRequestToken: token,
    SecretString: value,
    VersionStages: ['AWSPENDING'],
  });

/** Moves AWSCURRENT to version `to`, naming the version it is removed from when `from` is given. */
const moveCurrentArgs = (arn: string, to: string, from?: string) =>
  new UpdateSecretVersionStageCommand({
    SecretId: arn,
    VersionStage: 'AWSCURRENT',
    MoveToVersionId: to,
    ...(from === undefined ? {} : { RemoveFromVersionId: from }),
  });

describe('strict Secrets Manager model', () => {
  it('keeps each label on one version and moves AWSPREVIOUS with AWSCURRENT', async () => {
    const { arn, v1 } = await secret();
    const v2 = randomUUID();
    await client.send(
      new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: v2, SecretString: 'v2' }),
    );

    expect(await stages(arn)).toEqual({ [v1]: ['AWSPREVIOUS'], [v2]: ['AWSCURRENT'] });
  });

  it('answers ResourceExistsException when a token is reused with a different value', async () => {
    const { arn } = await secret();
    const t = randomUUID();
    const put = (v: string) => client.send(pendingArgs(arn, t, v));
    await put('a');

    await expect(put('a')).resolves.toMatchObject({ VersionId: t });
    await expect(put('b')).rejects.toBeInstanceOf(ResourceExistsException);
  });

  it('reads AWSCURRENT when GetSecretValue names no stage, also after a stage move', async () => {
    const { arn, v1 } = await secret('old');
    const t = randomUUID();
    await client.send(pendingArgs(arn, t, 'new'));
    await client.send(moveCurrentArgs(arn, t, v1));

    const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    expect(out.SecretString).toBe('new');
  });

  it('refuses to move AWSCURRENT without naming the version it is removed from', async () => {
    const { arn, v1 } = await secret();
    const t = randomUUID();
    await client.send(pendingArgs(arn, t, 'x'));

    await expect(client.send(moveCurrentArgs(arn, t))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    expect((await stages(arn))[v1]).toEqual(['AWSCURRENT']);
  });

  it('creates an AWSPENDING version without a value on RotateSecret', async () => {
    const { arn } = await secret();
    const t = randomUUID();
    await client.send(rotateArgs(arn, t));

    expect((await stages(arn))[t]).toEqual(['AWSPENDING']);
    await expect(
      client.send(
        new GetSecretValueCommand({ SecretId: arn, VersionId: t, VersionStage: 'AWSPENDING' }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    const d = await client.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(d.RotationEnabled).toBe(true);
  });

  it('blocks the next rotation while a stale AWSPENDING exists', async () => {
    const { arn } = await secret();
    await client.send(rotateArgs(arn, randomUUID()));

    await expect(client.send(rotateArgs(arn, randomUUID()))).rejects.toThrow(
      "A previous rotation isn't complete",
    );
  });

  it('cleans AWSPENDING off the AWSCURRENT version after a successful rotation, so the next one starts', async () => {
    const { arn, v1 } = await secret();
    const t = randomUUID();
    await client.send(rotateArgs(arn, t));
    await client.send(pendingArgs(arn, t, 'v2'));
    await client.send(moveCurrentArgs(arn, t, v1));
    expect((await stages(arn))[t]).toEqual(['AWSCURRENT', 'AWSPENDING']);

    sm.state.completeRotation(arn);

    expect(await stages(arn)).toEqual({ [v1]: ['AWSPREVIOUS'], [t]: ['AWSCURRENT'] });
    await expect(client.send(rotateArgs(arn, randomUUID()))).resolves.toMatchObject({ ARN: arn });
  });

  it('can inject a failure after applying a call (a lost response)', async () => {
    const { arn } = await secret();
    const t = randomUUID();
    sm.state.failNext('PutSecretValue', {
      type: 'InternalServiceError',
      status: 500,
      when: 'after',
    });

    await expect(client.send(pendingArgs(arn, t, 'x'))).rejects.toMatchObject({
      name: 'InternalServiceError',
    });
    expect((await stages(arn))[t]).toEqual(['AWSPENDING']);
  });
});
