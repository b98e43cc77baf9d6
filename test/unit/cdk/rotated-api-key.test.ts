/**
 * RotatedApiKey's first-deploy values, the pool administrators' access, and the limits it
 * refuses at synth (timeouts its retries do not fit in, windows Secrets Manager rejects).
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Provider, RotatedApiKey } from '../../../cdk/src/rotated-api-key.ts';
import { ADMIN_PLACEHOLDERS } from '../../../rotation/issuers/admin-placeholders.ts';
import { type FakeDist, logicalId, makeFakeDist, ref } from '../../support/cdk.ts';

let dist: FakeDist;
beforeAll(() => {
  dist = makeFakeDist();
});
afterAll(() => dist?.cleanup());

function key(provider: Provider, extra: Record<string, unknown> = {}) {
  const stack = new Stack(new App(), 'User');
  const apiKey = new RotatedApiKey(stack, 'Key', {
    provider,
    alarmTopic: new sns.Topic(stack, 'T'),
    code: lambda.Code.fromAsset(dist.rotation),
    ...extra,
  });
  return { stack, apiKey };
}

describe('the values a fresh deployment writes', () => {
  it.each([Provider.OpenAI, Provider.Google, Provider.Anthropic])(
    'writes the %s admin credential as the documented shape, empty, marked as a placeholder',
    (provider) => {
      const { stack, apiKey } = key(provider);
      const admin =
        Template.fromStack(stack).toJSON().Resources[logicalId(apiKey.adminSecret ?? stack)];
      const value = JSON.parse(admin.Properties.SecretString) as Record<string, unknown>;
      expect(value).toEqual(ADMIN_PLACEHOLDERS[provider]);
      expect(value.placeholder).toBe(true);
    },
  );

  it('marks the API key placeholder, and stores both base URLs when given', () => {
    const { stack } = key(Provider.Anthropic, {
      baseURL: 'https://proxy.example.com/v1/',
      apiBaseURL: 'https://proxy.example.com',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate:
          '{"provider":"anthropic","placeholder":true,"baseURL":"https://proxy.example.com/v1/","apiBaseURL":"https://proxy.example.com"}',
        GenerateStringKey: 'apiKey',
      },
    });
  });
});

describe('pool administrators', () => {
  it('may read and append to the pool, through its key for that secret only, and nothing else', () => {
    const stack = new Stack(new App(), 'User');
    const operator = new iam.Role(stack, 'Operator', {
      assumedBy: new iam.AccountRootPrincipal(),
    });
    const apiKey = new RotatedApiKey(stack, 'Key', {
      provider: Provider.Anthropic,
      alarmTopic: new sns.Topic(stack, 'T'),
      code: lambda.Code.fromAsset(dist.rotation),
      poolAdministrators: [operator],
    });
    const template = Template.fromStack(stack).toJSON();
    const policies = Object.values(template.Resources).filter(
      (r) =>
        (r as { Type: string }).Type === 'AWS::SecretsManager::ResourcePolicy' &&
        JSON.stringify((r as { Properties: unknown }).Properties).includes(
          logicalId(apiKey.keyPoolSecret ?? stack),
        ),
    ) as { Properties: { ResourcePolicy: { Statement: unknown[] } } }[];
    expect(policies).toHaveLength(1);
    const statements = policies[0]?.Properties.ResourcePolicy.Statement;
    const operatorArn = { 'Fn::GetAtt': [logicalId(operator), 'Arn'] };
    expect(statements).toEqual([
      {
        Sid: 'OnlyRotationAndPoolAdminsRead',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'secretsmanager:GetSecretValue',
        Resource: '*',
        Condition: {
          StringNotEquals: {
            'aws:PrincipalArn': [
              { 'Fn::GetAtt': [logicalId(apiKey.rotationFunction.role ?? stack), 'Arn'] },
              operatorArn,
            ],
          },
        },
      },
    ]);
    const operatorPolicy = Object.values(template.Resources).find(
      (r) =>
        (r as { Type: string }).Type === 'AWS::IAM::Policy' &&
        JSON.stringify((r as { Properties: { Roles: unknown } }).Properties.Roles).includes(
          logicalId(operator),
        ),
    ) as { Properties: { PolicyDocument: { Statement: unknown[] } } };
    expect(operatorPolicy.Properties.PolicyDocument.Statement).toEqual([
      {
        Sid: 'AppendToKeyPool',
        Effect: 'Allow',
        Action: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
        ],
        Resource: ref(apiKey.keyPoolSecret ?? stack),
      },
      {
        Sid: 'UseKeyForKeyPool',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [logicalId(apiKey.key), 'Arn'] },
        Condition: {
          StringEquals: {
            'kms:ViaService': {
              'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
            },
            'kms:EncryptionContext:SecretARN': ref(apiKey.keyPoolSecret ?? stack),
          },
        },
      },
    ]);
  });

  it('are refused for a provider without a pool', () => {
    const stack = new Stack(new App(), 'User');
    const operator = iam.Role.fromRoleArn(stack, 'Op', 'arn:aws:iam::111122223333:role/ops');
    expect(
      () =>
        new RotatedApiKey(stack, 'Key', {
          provider: Provider.OpenAI,
          alarmTopic: new sns.Topic(stack, 'T'),
          code: lambda.Code.fromAsset(dist.rotation),
          poolAdministrators: [operator],
        }),
    ).toThrow(/poolAdministrators applies to the anthropic provider only/);
  });
});

describe('limits refused at synth', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'a timeout the default test attempts do not fit in',
      { timeout: Duration.seconds(60) },
      /timeout \(60 s\) must be longer than the slowest step can take with testAttempts 5 and testBackoffMs 1000: 80 s/,
    ],
    [
      'more test attempts than the timeout holds',
      { testAttempts: 12, timeout: Duration.minutes(2) },
      /with testAttempts 12 .*: 3\d\d s/,
    ],
    [
      'test attempts out of range',
      { testAttempts: 0 },
      /testAttempts must be a whole number from 1 to 20/,
    ],
    ["a timeout over Lambda's limit", { timeout: Duration.minutes(16) }, /at most 15 minutes/],
    [
      'a window that runs into the next UTC day',
      { rotationCron: 'cron(0 22 * * ? *)', rotationWindow: Duration.hours(3) },
      /runs into the next UTC day/,
    ],
    [
      'a window as long as an hourly rate',
      { rotateAfter: Duration.hours(6), rotationWindow: Duration.hours(6) },
      /must be shorter than the rotation interval \(6h\)/,
    ],
  ])('refuses %s', (_, extra, message) => {
    expect(() => key(Provider.OpenAI, extra)).toThrow(message);
  });

  it('sets a default timeout that covers the default retries', () => {
    const { stack, apiKey } = key(Provider.OpenAI);
    const fn = Template.fromStack(stack).toJSON().Resources[logicalId(apiKey.rotationFunction)];
    expect(fn.Properties.Timeout).toBe(120);
  });
});
