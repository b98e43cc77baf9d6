/**
 * The first `cdk deploy`: RotationSchedule with RotateImmediately=false makes Secrets Manager
 * run testSecret once on the values CloudFormation just wrote. Each provider's stack is
 * synthesized, its secrets are created in the strict Secrets Manager model exactly as
 * CloudFormation would create them (the generated placeholder key, the admin placeholder,
 * the pool bound to the secret), and the service's configuration test runs: it must pass,
 * without touching the provider, and say why it skipped. The first real rotation after the
 * admin credential was filled in then mints a key and drops the placeholder mark.
 */
import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Provider, RotatedApiKey } from '../../../cdk/src/rotated-api-key.ts';
import { rotate } from '../../../tools/fakes/rotation-driver.ts';
import { type FakeDist, logicalId, makeFakeDist } from '../../support/cdk.ts';
import {
  openaiAdminSecret,
  type RotationHarness,
  startStrictHarness,
  type TestSecret,
} from '../../support/rotation-harness.ts';

let h: RotationHarness;
let dist: FakeDist;

beforeAll(async () => {
  ({ h } = await startStrictHarness(inject('motoEndpoint')));
  dist = makeFakeDist();
});
afterAll(async () => {
  await h?.close();
  dist?.cleanup();
});

/** Creates the stack's secrets in the model as CloudFormation would; returns them. */
async function deploy(provider: Provider): Promise<TestSecret> {
  const stack = new Stack(new App(), `FirstDeploy${provider}`);
  const key = new RotatedApiKey(stack, 'Key', {
    provider,
    alarmTopic: new sns.Topic(stack, 'T'),
    code: lambda.Code.fromAsset(dist.rotation),
    ...(provider === Provider.Random ? { baseURL: 'https://service.internal.example/v1' } : {}),
  });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<
    string,
    { Properties: Record<string, unknown> }
  >;
  const name = `first-deploy-${provider}-${randomBytes(4).toString('hex')}`;
  // GenerateSecretString: the template with a random alphanumeric string at its key.
  const gen = resources[logicalId(key.secret)]?.Properties.GenerateSecretString as {
    SecretStringTemplate: string;
    GenerateStringKey: string;
    PasswordLength: number;
  };
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const generated = [...randomBytes(gen.PasswordLength)]
    .map((b) => alnum[b % alnum.length])
    .join('');
  const value = { ...JSON.parse(gen.SecretStringTemplate), [gen.GenerateStringKey]: generated };
  const arn = await create(name, JSON.stringify(value));
  const adminArn = key.adminSecret
    ? await create(
        `${name}-admin`,
        resources[logicalId(key.adminSecret)]?.Properties.SecretString as string,
      )
    : undefined;
  let poolArn: string | undefined;
  if (key.keyPoolSecret) {
    // Fn::Join ['', ['{"boundTo":"', {Ref: secret}, '","keys":[]}']]: the Ref is the ARN.
    const join = resources[logicalId(key.keyPoolSecret)]?.Properties.SecretString as {
      'Fn::Join': [string, unknown[]];
    };
    const text = join['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : arn)).join('');
    poolArn = await create(`${name}-pool`, text);
  }
  return { provider, arn, name, adminArn, poolArn, initialKey: generated, initialKeyId: '' };
}

/** Keys minted or changed at any provider so far. */
function providerActions(): number {
  return h.openai.state.minted + h.google.state.created + h.anthropic.state.updates.length;
}

async function create(name: string, value: string): Promise<string> {
  const out = await h.client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  return out.ARN as string;
}

describe.each([Provider.OpenAI, Provider.Google, Provider.Anthropic, Provider.Random])(
  'a fresh %s stack',
  (provider) => {
    let s: TestSecret;
    beforeAll(async () => {
      s = await deploy(provider);
    });

    it('passes the configuration test Secrets Manager runs at deployment, and says it skipped', async () => {
      const calls = providerActions();
      const r = await rotate({
        client: h.client,
        secretId: s.arn,
        handler: h.handler(s),
        rotateImmediately: false,
      });
      expect(r.steps.map((x) => [x.step, x.ok, x.error])).toEqual([
        ['testSecret', true, undefined],
      ]);
      expect(h.audit().at(-1)).toMatchObject({ step: 'testSecret', outcome: 'skipped' });
      expect(h.lines.join('\n')).toContain('"message":"skipped the configuration test"');
      expect(providerActions()).toBe(calls);
      expect((await h.read(s.arn, 'AWSCURRENT')).placeholder).toBe(true);
    });
  },
);

describe('the first rotation after deployment', () => {
  it('names the admin placeholder instead of failing on a field', async () => {
    const s = await deploy(Provider.OpenAI);
    const r = await rotate({ client: h.client, secretId: s.arn, handler: h.handler(s) });
    expect(r.ok).toBe(false);
    expect(r.steps[0]?.error).toContain(
      'still holds the placeholder written at deployment: put the provider',
    );
  });

  it('mints a real key once the admin credential is filled in, and drops the placeholder mark', async () => {
    const s = await deploy(Provider.OpenAI);
    await h.client.send(
      new PutSecretValueCommand({
        SecretId: s.adminArn,
        SecretString: JSON.stringify(openaiAdminSecret(h.openai)),
      }),
    );
    // The stack stores OpenAI's public URL; point this test's rotation at the fake instead.
    const current = await h.read(s.arn, 'AWSCURRENT');
    await h.client.send(
      new PutSecretValueCommand({
        SecretId: s.arn,
        SecretString: JSON.stringify({ ...current, apiBaseURL: h.openai.url }),
      }),
    );
    const r = await rotate({ client: h.client, secretId: s.arn, handler: h.handler(s) });
    expect(r.ok).toBe(true);
    const rotated = await h.read(s.arn, 'AWSCURRENT');
    expect(rotated.placeholder).toBeUndefined();
    expect(rotated.keyId).toEqual(expect.stringMatching(/^svc_acct_/));
  });
});
