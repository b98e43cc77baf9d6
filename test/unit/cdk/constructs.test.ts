import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackagedAsset, packagedAssetPath } from '../../../cdk/src/assets.ts';
import {
  attachSecretSidecar,
  type SidecarOptions,
} from '../../../cdk/src/attach-secret-sidecar.ts';
import { InferenceApi } from '../../../cdk/src/inference-api.ts';
import { Provider, RotatedApiKey } from '../../../cdk/src/rotated-api-key.ts';
import { SecretSidecarLayer } from '../../../cdk/src/secret-sidecar-layer.ts';
import { SidecarFunction } from '../../../cdk/src/sidecar-function.ts';
import { applyAwsSolutionsChecks } from '../../../deploy/nag.ts';
import {
  type FakeDist,
  getAtt,
  logicalId,
  makeFakeDist,
  ref,
  roleStatements,
} from '../../support/cdk.ts';

let dist: FakeDist;
beforeAll(() => {
  dist = makeFakeDist();
});
afterAll(() => dist?.cleanup());

function userStack(): Stack {
  return new Stack(new App(), 'User');
}

function userFunction(stack: Stack): lambda.Function {
  return new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(dist.inference),
  });
}

describe('attachSecretSidecar', () => {
  it('grants reads of an imported secret by name pattern and of an SSM parameter', () => {
    const stack = userStack();
    const fn = userFunction(stack);
    const layer = new SecretSidecarLayer(stack, 'Layer', { assetPath: dist.layer });
    const byName = secretsmanager.Secret.fromSecretNameV2(stack, 'ByName', 'team/openai');
    const param = ssm.StringParameter.fromStringParameterName(stack, 'Param', '/team/model');
    attachSecretSidecar(fn, {
      layer,
      secrets: [{ alias: 'openai', secret: byName }],
      parameters: [{ alias: 'model', parameter: param }],
      ttl: Duration.minutes(1),
      maxStale: Duration.hours(2),
      writeFiles: false,
    });
    const template = Template.fromStack(stack);
    // A user's own function: CDK's default role, plus exactly the sidecar's statements.
    const statements = roleStatements(template, logicalId(fn.role ?? stack));
    expect(statements).toEqual([
      {
        Sid: 'SidecarReadSecrets',
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':secretsmanager:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':secret:team/openai-??????',
            ],
          ],
        },
      },
      {
        Sid: 'SidecarReadParameters',
        Effect: 'Allow',
        Action: 'ssm:GetParameter',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':ssm:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':parameter/team/model',
            ],
          ],
        },
      },
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: [ref(layer)],
      Environment: {
        Variables: {
          SECRET_SIDECAR_SECRETS: 'openai=team/openai',
          SECRET_SIDECAR_PARAMETERS: 'model=/team/model',
          SECRET_SIDECAR_TTL_SECONDS: '60',
          SECRET_SIDECAR_MAX_STALE_SECONDS: '7200',
          SECRET_SIDECAR_FILES: 'false',
        },
      },
    });
  });

  it('grants kms:Decrypt via Secrets Manager on the key of an imported encrypted secret', () => {
    const stack = userStack();
    const fn = userFunction(stack);
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'Full', {
      secretCompleteArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:team/key-AbCdEf',
      encryptionKey: key,
    });
    attachSecretSidecar(fn, {
      layer: new SecretSidecarLayer(stack, 'Layer', { assetPath: dist.layer }),
      secrets: [{ alias: 'key', secret }],
    });
    const statements = roleStatements(Template.fromStack(stack), logicalId(fn.role ?? stack));
    expect(statements).toEqual([
      {
        Sid: 'SidecarReadSecrets',
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:team/key-AbCdEf',
      },
      {
        Sid: 'SidecarDecryptViaSecretsManager0',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: getAtt(key, 'Arn'),
        Condition: {
          StringEquals: {
            'kms:ViaService': {
              'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
            },
            'kms:EncryptionContext:SecretARN':
              'arn:aws:secretsmanager:us-east-1:111122223333:secret:team/key-AbCdEf',
          },
        },
      },
    ]);
  });

  it.each<[string, Partial<SidecarOptions>, RegExp]>([
    ['a bad alias', { secrets: [{ alias: 'a b', secret: undefined as never }] }, /alias "a b"/],
    ['a port out of range', { httpPort: 70000 }, /httpPort must be an integer from 1 to 65535/],
    ['a TTL over a day', { ttl: Duration.days(2) }, /ttl must be from 0 to 86400/],
    ['a relative folder', { secretDir: 'tmp/x' }, /secretDir must be an absolute path/],
  ])('rejects %s', (_name, options, message) => {
    const stack = userStack();
    const fn = userFunction(stack);
    const layer = new SecretSidecarLayer(stack, 'Layer', { assetPath: dist.layer });
    const secret = new secretsmanager.Secret(stack, 'S');
    const secrets = options.secrets?.map((s) => ({ ...s, secret })) ?? [];
    expect(() => attachSecretSidecar(fn, { layer, ...options, secrets })).toThrow(message);
  });

  it('rejects the same alias twice', () => {
    const stack = userStack();
    const secret = new secretsmanager.Secret(stack, 'S');
    expect(() =>
      attachSecretSidecar(userFunction(stack), {
        layer: new SecretSidecarLayer(stack, 'Layer', { assetPath: dist.layer }),
        secrets: [
          { alias: 'same', secret },
          { alias: 'same', secret },
        ],
      }),
    ).toThrow(/alias "same" is used twice/);
  });
});

describe('SidecarFunction', () => {
  it('gets its own log group and a role without managed policies, and passes cdk-nag in a user stack', () => {
    const app = new App({ outdir: join(dist.dir, 'out-user') });
    applyAwsSolutionsChecks(app);
    const stack = new Stack(app, 'User');
    const secret = new secretsmanager.Secret(stack, 'S', {
      encryptionKey: new kms.Key(stack, 'K', { enableKeyRotation: true }),
    });
    const fn = new SidecarFunction(stack, 'Fn', {
      handler: 'index.handler',
      code: lambda.Code.fromAsset(dist.inference),
      sidecar: {
        layer: new SecretSidecarLayer(stack, 'Layer', { assetPath: dist.layer }),
        secrets: [{ alias: 'x', secret }],
      },
    });
    // A user's own secret has no rotation: that finding is theirs to settle.
    secret.addRotationSchedule('R', {
      rotationLambda: lambda.Function.fromFunctionArn(
        stack,
        'Ext',
        'arn:aws:lambda:us-east-1:111122223333:function:rotator',
      ),
    });
    expect(() => app.synth()).not.toThrow();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 180 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      LoggingConfig: { LogGroup: ref(fn.logGroup) },
    });
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });
});

describe('construct validation', () => {
  const topic = (stack: Stack) => new sns.Topic(stack, 'T');

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'both a rate and a cron',
      { rotateAfter: Duration.days(7), rotationCron: 'cron(0 4 * * ? *)' },
      /rotateAfter or rotationCron, not both/,
    ],
    ['a rate under 4 hours', { rotateAfter: Duration.hours(1) }, /from 4 hours to 1000 days/],
    ['a 5-field cron', { rotationCron: 'cron(0 4 * * ?)' }, /6-field Secrets Manager cron/],
    ['a window over a day', { rotationWindow: Duration.hours(30) }, /whole hours from 1 to 24/],
    ['a window in minutes', { rotationWindow: Duration.minutes(90) }, /whole hours from 1 to 24/],
    ['an unknown provider', { provider: 'cohere' }, /provider must be one of openai, google/],
  ])('RotatedApiKey rejects %s', (_name, extra, message) => {
    const stack = userStack();
    expect(
      () =>
        new RotatedApiKey(stack, 'Key', {
          provider: Provider.OpenAI,
          alarmTopic: topic(stack),
          code: lambda.Code.fromAsset(dist.rotation),
          ...extra,
        }),
    ).toThrow(message);
  });

  it('InferenceApi rejects a provider timeout that does not fit in the function timeout', () => {
    const stack = userStack();
    expect(
      () =>
        new InferenceApi(stack, 'Api', {
          providerSecret: new secretsmanager.Secret(stack, 'S'),
          layer: new SecretSidecarLayer(stack, 'Layer', { assetPath: dist.layer }),
          code: lambda.Code.fromAsset(dist.inference),
          providerTimeout: Duration.seconds(30),
          timeout: Duration.seconds(29),
        }),
    ).toThrow(/providerTimeout \(30000 ms\) must be shorter than timeout \(29000 ms\)/);
  });

  it('SecretSidecarLayer refuses a launcher that is not executable', () => {
    const broken = makeFakeDist();
    try {
      const launcher = join(broken.layer, 'extensions', 'secret-sidecar');
      writeFileSync(launcher, '#!/bin/bash\n');
      chmodSync(launcher, 0o644);
      expect(() => new SecretSidecarLayer(userStack(), 'L', { assetPath: broken.layer })).toThrow(
        /must exist and be executable/,
      );
    } finally {
      broken.cleanup();
    }
  });

  it('names the missing build output and how to build it', () => {
    expect(() => packagedAssetPath(PackagedAsset.Rotation, join(dist.dir, 'nowhere'))).toThrow(
      /nowhere\/rotation\/index\.mjs is missing: .* run `make build` first/,
    );
    expect(packagedAssetPath(PackagedAsset.Rotation, dist.dir)).toBe(dist.rotation);
  });
});
