/**
 * The whole flow against moto_server with real SDK clients. moto cannot invoke the function,
 * so the driver plays the service: RotateSecret with a registered function ARN, the four steps,
 * and the AWSPENDING clean-up. Reads always name a stage (moto's default-version read is stale).
 */
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registerRotationFunction } from '../../../tools/fakes/moto-lambda.ts';
import { rotate } from '../../../tools/fakes/rotation-driver.ts';
import { isLive, type RotationHarness, startHarness } from '../../support/rotation-harness.ts';

let h: RotationHarness;
let lambdaArn: string;

beforeAll(async () => {
  const moto = inject('motoEndpoint');
  h = await startHarness({ motoEndpoint: moto, secretsManagerEndpoint: moto });
  lambdaArn = await registerRotationFunction(moto);
});
afterAll(async () => {
  await h.close();
});

async function labels(arn: string): Promise<Record<string, string[]>> {
  const d = await h.client.send(new DescribeSecretCommand({ SecretId: arn }));
  return Object.fromEntries(
    Object.entries(d.VersionIdsToStages ?? {})
      .filter(([, v]) => v.length > 0)
      .map(([k, v]) => [k, [...v].sort()]),
  );
}

describe('rotation against moto_server', () => {
  it.each(['openai', 'google', 'anthropic', 'random'] as const)(
    'rotates a %s key three times, each step run twice, keeping two generations valid',
    async (provider) => {
      const s = await h.createSecret(provider, { poolSize: 4 });
      const handler = h.handler(s);
      const seen: string[] = [s.initialKey];

      for (let i = 0; i < 3; i++) {
        const r = await rotate({
          client: h.client,
          secretId: s.arn,
          handler,
          rotationLambdaArn: lambdaArn,
          repeat: 2,
        });
        expect(r.ok, JSON.stringify(r.steps)).toBe(true);
        const current = await h.read(s.arn, 'AWSCURRENT');
        seen.push(current.apiKey as string);
        expect((await labels(s.arn))[r.token]).toEqual(['AWSCURRENT']);
      }

      expect(new Set(seen).size).toBe(4);
      expect((await h.read(s.arn, 'AWSPREVIOUS')).apiKey).toBe(seen[2]);
      if (provider !== 'random') {
        expect(seen.map((k) => isLive(h, k))).toEqual([false, false, true, true]);
      }
    },
  );

  it('tests the configuration with RotateImmediately=false without minting a key', async () => {
    const s = await h.createSecret('openai');
    const minted = h.openai.state.minted;

    const r = await rotate({
      client: h.client,
      secretId: s.arn,
      handler: h.handler(s),
      rotationLambdaArn: lambdaArn,
      rotateImmediately: false,
    });

    expect(r.ok).toBe(true);
    expect(h.openai.state.minted).toBe(minted);
    expect((await h.read(s.arn, 'AWSCURRENT')).apiKey).toBe(s.initialKey);
  });
});
