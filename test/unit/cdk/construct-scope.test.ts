/**
 * Every construct keeps what it creates inside its own scope: nothing lands as a sibling
 * in the parent's scope, where it could collide with the user's ids or escape their
 * aspects and removal policies. The one exception is documented: attachSecretSidecar
 * shares one layer per flavour per stack.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmTopic } from '../../../cdk/src/alarm-topic.ts';
import { attachSecretSidecar } from '../../../cdk/src/attach-secret-sidecar.ts';
import { InferenceApi } from '../../../cdk/src/inference-api.ts';
import { Observability } from '../../../cdk/src/observability.ts';
import { Provider, RotatedApiKey } from '../../../cdk/src/rotated-api-key.ts';
import { SecretSidecarLayer } from '../../../cdk/src/secret-sidecar-layer.ts';
import { SidecarFunction } from '../../../cdk/src/sidecar-function.ts';
import { type FakeDist, makeFakeDist } from '../../support/cdk.ts';

let dist: FakeDist;
beforeAll(() => {
  dist = makeFakeDist();
});
afterAll(() => dist?.cleanup());

interface Given {
  readonly topic: sns.ITopic;
  readonly secret: secretsmanager.ISecret;
  readonly layer: lambda.ILayerVersion;
  readonly fn: lambda.IFunction;
}

/** Builds `make(parent, 'Subject', given)` in a fresh stack; returns the paths it added outside Subject. */
function strayPaths(make: (scope: Construct, id: string, given: Given) => void): string[] {
  const stack = new Stack(new App(), 'User');
  const given: Given = {
    topic: new sns.Topic(stack, 'Topic'),
    secret: new secretsmanager.Secret(stack, 'Secret'),
    layer: new SecretSidecarLayer(stack, 'Layer', { assetPath: dist.layer }),
    fn: new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(dist.inference),
    }),
  };
  const parent = new Construct(stack, 'Parent');
  const before = new Set(stack.node.findAll().map((c) => c.node.path));
  make(parent, 'Subject', given);
  return stack.node
    .findAll()
    .map((c) => c.node.path)
    .filter((p) => !before.has(p) && !p.startsWith('User/Parent/Subject'));
}

describe('constructs create nothing outside their own scope', () => {
  it.each<[string, (scope: Construct, id: string, g: Given) => void]>([
    ['AlarmTopic', (s, id) => new AlarmTopic(s, id, { email: 'ops@example.com' })],
    ['SecretSidecarLayer', (s, id) => new SecretSidecarLayer(s, id, { assetPath: dist.layer })],
    [
      'RotatedApiKey',
      (s, id, g) =>
        new RotatedApiKey(s, id, {
          provider: Provider.Anthropic,
          alarmTopic: g.topic,
          code: lambda.Code.fromAsset(dist.rotation),
        }),
    ],
    [
      'SidecarFunction',
      (s, id, g) =>
        new SidecarFunction(s, id, {
          code: lambda.Code.fromAsset(dist.inference),
          handler: 'index.handler',
          sidecar: { layer: g.layer, secrets: [{ alias: 'provider', secret: g.secret }] },
        }),
    ],
    [
      'InferenceApi',
      (s, id, g) =>
        new InferenceApi(s, id, {
          providerSecret: g.secret,
          layer: g.layer,
          code: lambda.Code.fromAsset(dist.inference),
          streamCode: lambda.Code.fromAsset(dist.inferenceStream),
          cognitoDomainPrefix: 'scope-test',
        }),
    ],
    [
      'Observability',
      (s, id, g) => new Observability(s, id, { alarmTopic: g.topic, sidecarFunctions: [g.fn] }),
    ],
  ])('%s', (_name, make) => {
    expect(strayPaths(make)).toEqual([]);
  });

  it('attachSecretSidecar adds only the one shared layer per flavour at the stack', () => {
    const stray = strayPaths((s, id, g) => {
      const fn = new lambda.Function(s, id, {
        runtime: lambda.Runtime.PYTHON_3_13,
        handler: 'index.handler',
        code: lambda.Code.fromInline('def handler(e, c):\n    return 1\n'),
      });
      attachSecretSidecar(fn, { secrets: [{ alias: 'provider', secret: g.secret }] });
    });
    expect(
      stray.filter(
        (p) => !p.startsWith('User/SecretSidecarLayer-secret-sidecar-standalone-x86_64'),
      ),
    ).toEqual([]);
    expect(stray).toContain('User/SecretSidecarLayer-secret-sidecar-standalone-x86_64');
  });
});
