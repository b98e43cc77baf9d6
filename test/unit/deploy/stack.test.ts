import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Provider } from '../../../cdk/src/rotated-api-key.ts';
import type { SecretSidecarStack } from '../../../deploy/secret-sidecar-stack.ts';
import { METRIC_NAMESPACE, MetricName } from '../../../shared/metrics.ts';
import {
  type FakeDist,
  getAtt,
  logicalId,
  makeFakeDist,
  ref,
  roleStatements,
  rotateOwnSecretStatement,
  type Synthesized,
  synthStack,
  useKeyViaSecretsManagerStatement,
  VIA_SECRETS_MANAGER,
  writeOwnLogsStatement,
} from '../../support/cdk.ts';

// One synth for the whole file: CDK synthesis is the slow part.
let dist: FakeDist;
let synth: Synthesized;
let template: Template;
let stack: SecretSidecarStack;

beforeAll(() => {
  dist = makeFakeDist();
  synth = synthStack(dist, { provider: Provider.OpenAI });
  template = synth.template;
  stack = synth.stack;
}, 120_000);

afterAll(() => dist?.cleanup());

function alarmProps(id: string): Record<string, unknown> {
  const alarms = template.findResources('AWS::CloudWatch::Alarm');
  const hit = Object.entries(alarms).find(([logical]) => logical.startsWith(id));
  if (!hit) throw new Error(`no alarm ${id} in ${Object.keys(alarms).join(', ')}`);
  return hit[1].Properties as Record<string, unknown>;
}

describe('IAM', () => {
  it('creates exactly four roles, none with managed policies, each assumable by one service', () => {
    const roles = template.findResources('AWS::IAM::Role');
    const rotation = logicalId(stack.apiKey.rotationFunction.role ?? stack);
    const inference = logicalId(stack.inference.function.role ?? stack);
    const streaming = logicalId(stack.inference.streamFunction?.role ?? stack);
    const publisher = logicalId(stack.apiKey.node.findChild('FailureRuleRole'));
    expect(Object.keys(roles).sort()).toEqual([rotation, inference, streaming, publisher].sort());
    for (const role of Object.values(roles)) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
    const lambdaTrust = [
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ];
    expect(roles[rotation]?.Properties.AssumeRolePolicyDocument.Statement).toEqual(lambdaTrust);
    expect(roles[inference]?.Properties.AssumeRolePolicyDocument.Statement).toEqual(lambdaTrust);
    expect(roles[streaming]?.Properties.AssumeRolePolicyDocument.Statement).toEqual(lambdaTrust);
    expect(roles[publisher]?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
  });

  it('lets the rotation-failure rule only publish to the alarm topic', () => {
    const publisher = logicalId(stack.apiKey.node.findChild('FailureRuleRole'));
    expect(roleStatements(template, publisher)).toEqual([
      {
        Sid: 'PublishAlarm',
        Effect: 'Allow',
        Action: 'sns:Publish',
        Resource: ref(stack.alarmTopic.topic),
      },
      {
        Sid: 'EncryptForTopic',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: getAtt(stack.alarmTopic.key, 'Arn'),
      },
    ]);
  });

  it('lets the rotation role rotate only its own secret, read the admin credential and use the key via Secrets Manager', () => {
    const key = stack.apiKey;
    const role = logicalId(key.rotationFunction.role ?? stack);
    const adminSecret = key.adminSecret;
    if (!adminSecret) throw new Error('openai needs an admin credential');
    expect(roleStatements(template, role)).toEqual([
      writeOwnLogsStatement(key),
      rotateOwnSecretStatement(key),
      {
        Sid: 'ReadAdminCredential',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: ref(adminSecret),
      },
      useKeyViaSecretsManagerStatement(key, [key.secret, adminSecret]),
    ]);
  });

  it.each([
    ['inference', () => stack.inference.function],
    ['streaming inference', () => stack.inference.streamFunction],
  ])(
    'lets the %s role only GetSecretValue and DescribeSecret on its own secret, plus kms:Decrypt via Secrets Manager',
    (_name, get) => {
      const fn = get();
      if (!fn) throw new Error('function missing');
      const role = logicalId(fn.role ?? stack);
      expect(roleStatements(template, role)).toEqual([
        {
          Sid: 'WriteOwnLogs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: getAtt(fn.logGroup, 'Arn'),
        },
        {
          Sid: 'SidecarReadSecrets',
          Effect: 'Allow',
          Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
          Resource: ref(stack.apiKey.secret),
        },
        {
          Sid: 'SidecarDecryptViaSecretsManager0',
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: getAtt(stack.apiKey.key, 'Arn'),
          Condition: {
            StringEquals: {
              'kms:ViaService': VIA_SECRETS_MANAGER,
              'kms:EncryptionContext:SecretARN': ref(stack.apiKey.secret),
            },
          },
        },
      ]);
    },
  );

  it('denies reading the admin credential to every principal but the rotation role', () => {
    const adminSecret = stack.apiKey.adminSecret;
    if (!adminSecret) throw new Error('openai needs an admin credential');
    template.hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
      SecretId: ref(adminSecret),
      ResourcePolicy: {
        Statement: [
          {
            Sid: 'OnlyTheRotationRoleReads',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'secretsmanager:GetSecretValue',
            Resource: '*',
            Condition: {
              StringNotEquals: {
                'aws:PrincipalArn': getAtt(stack.apiKey.rotationFunction.role ?? stack, 'Arn'),
              },
            },
          },
        ],
      },
    });
  });
});

describe('sidecar wiring', () => {
  it('attaches the layer to the inference function and wires the sidecar env', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Layers: [ref(stack.layer)],
      Environment: {
        Variables: {
          SECRET_SIDECAR_SECRETS: { 'Fn::Join': ['', ['provider=', ref(stack.apiKey.secret)]] },
          SECRET_SIDECAR_TTL_SECONDS: '300',
          SECRET_SIDECAR_HTTP_PORT: '2773',
          SECRET_SIDECAR_DIR: '/tmp/secret-sidecar',
          SECRET_SIDECAR_LOG_LEVEL: 'info',
          SECRET_SIDECAR_FILES: 'true',
          INFERENCE_SECRET_ALIAS: 'provider',
          INFERENCE_REQUIRED_SCOPE: 'secret-sidecar/invoke',
          INFERENCE_PROVIDER_TIMEOUT_MS: '25000',
          INFERENCE_LOG_CONTENT: 'false',
          INFERENCE_LOG_LEVEL: 'info',
        },
      },
    });
  });

  it('builds the layer for x86_64 and arm64 Node runtimes', () => {
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      LayerName: 'secret-sidecar',
      CompatibleArchitectures: ['x86_64', 'arm64'],
      CompatibleRuntimes: ['nodejs22.x', 'nodejs24.x'],
    });
  });

  it('runs every function on nodejs22.x arm64 with its own log group', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fns).toHaveLength(3);
    for (const fn of fns) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.LoggingConfig.LogGroup.Ref).toMatch(/LogGroup/);
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          ROTATION_ADMIN_SECRET_ARN: ref(stack.apiKey.adminSecret ?? stack),
          ROTATION_TEST_ATTEMPTS: '5',
          ROTATION_TEST_BACKOFF_MS: '1000',
          ROTATION_LOG_LEVEL: 'info',
        },
      },
    });
  });
});

describe('rotation', () => {
  it('rotates every 30 days in a 4-hour window, not on deploy', () => {
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: ref(stack.apiKey.secret),
      RotationLambdaARN: getAtt(stack.apiKey.rotationFunction, 'Arn'),
      RotationRules: { ScheduleExpression: 'rate(30 days)', Duration: '4h' },
      RotateImmediatelyOnUpdate: false,
    });
  });

  it('sets SourceAccount on the Secrets Manager invoke permission, and creates no other', () => {
    const perms = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (p) => p.Properties.Principal === 'secretsmanager.amazonaws.com',
    );
    expect(perms.map((p) => p.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: getAtt(stack.apiKey.rotationFunction, 'Arn'),
        Principal: 'secretsmanager.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
      },
    ]);
    const schedule = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule'));
    expect(schedule[0]?.DependsOn).toEqual(
      expect.arrayContaining([logicalId(stack.apiKey.node.findChild('InvokeBySecretsManager'))]),
    );
  });

  it('encrypts the API key and the admin credential with a customer-managed key that rotates', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      Description: Match.stringLikeRegexp('openai API key'),
    });
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    expect(Object.keys(secrets).sort()).toEqual(
      [logicalId(stack.apiKey.secret), logicalId(stack.apiKey.adminSecret ?? stack)].sort(),
    );
    for (const secret of Object.values(secrets)) {
      expect(secret.Properties.KmsKeyId).toEqual(getAtt(stack.apiKey.key, 'Arn'));
    }
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: '{"provider":"openai","placeholder":true}',
        GenerateStringKey: 'apiKey',
      },
    });
  });

  it('alarms on rotation function errors', () => {
    expect(alarmProps('ApiKeyFunctionErrorsAlarm')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: ref(stack.apiKey.rotationFunction) }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(stack.alarmTopic.topic)],
    });
  });

  it('alarms on a failed rotation step from the EMF metric', () => {
    expect(alarmProps('ApiKeyStepFailedAlarm')).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      MetricName: MetricName.RotationStepFailed,
      Dimensions: [{ Name: 'FunctionName', Value: ref(stack.apiKey.rotationFunction) }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(stack.alarmTopic.topic)],
    });
  });

  it('notifies the alarm topic on RotationFailed and RotationAbandoned of this secret', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.secretsmanager'],
        'detail-type': ['AWS Service Event via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: ['RotationFailed', 'RotationAbandoned'],
          additionalEventData: { SecretId: [ref(stack.apiKey.secret)] },
        },
      },
      State: 'ENABLED',
      Targets: [
        {
          Id: Match.anyValue(),
          Arn: ref(stack.alarmTopic.topic),
          RoleArn: getAtt(stack.apiKey.node.findChild('FailureRuleRole'), 'Arn'),
        },
      ],
    });
  });
});

describe('observability', () => {
  it('alarms on sidecar refresh errors persisting for 15 minutes', () => {
    expect(alarmProps('ObservabilitySidecarRefreshErrors0')).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      MetricName: MetricName.RefreshError,
      Dimensions: [{ Name: 'FunctionName', Value: ref(stack.inference.function) }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it("alarms on the streaming function's sidecar too", () => {
    for (const [id, metric] of [
      ['ObservabilitySidecarRefreshErrors1', MetricName.RefreshError],
      ['ObservabilitySidecarStaleServed1', MetricName.StaleServed],
    ] as const) {
      expect(alarmProps(id)).toMatchObject({
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: ref(stack.inference.streamFunction ?? stack) }],
      });
    }
  });

  it('alarms as soon as the sidecar serves a stale value', () => {
    expect(alarmProps('ObservabilitySidecarStaleServed0')).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      MetricName: MetricName.StaleServed,
      Dimensions: [{ Name: 'FunctionName', Value: ref(stack.inference.function) }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on inference 5xx responses', () => {
    expect(alarmProps('ObservabilityInference5xx')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: ref(stack.inference.api) }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on inference p99 latency above 20 s for 15 minutes', () => {
    expect(alarmProps('ObservabilityInferenceLatencyP99')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      Dimensions: [{ Name: 'ApiId', Value: ref(stack.inference.api) }],
      ExtendedStatistic: 'p99',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 20_000,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('sends every alarm to the alarm topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(8);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([ref(stack.alarmTopic.topic)]);
    }
  });

  it('keeps every log group for 180 days', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(4);
    for (const group of groups) {
      expect(group.Properties.RetentionInDays).toBe(180);
      expect(group.DeletionPolicy).toBe('Retain');
    }
  });

  it('defines Logs Insights queries on the rotation audit trail', () => {
    const queries = Object.values(template.findResources('AWS::Logs::QueryDefinition'));
    expect(queries.map((q) => q.Properties.Name).sort()).toEqual([
      'Test/rotation-audit-trail',
      'Test/rotation-failures',
      'Test/rotations-per-secret',
    ]);
    for (const q of queries) {
      expect(q.Properties.LogGroupNames).toEqual([ref(stack.apiKey.logGroup)]);
      expect(q.Properties.QueryString).toContain("filter message = 'rotation step'");
    }
    template.hasResourceProperties('AWS::Logs::QueryDefinition', {
      Name: 'Test/rotation-audit-trail',
      QueryString: Match.stringLikeRegexp(
        'fields @timestamp, secretArn, token, step, outcome, durationMs, issuer, keyId, errorCode',
      ),
    });
    template.hasResourceProperties('AWS::Logs::QueryDefinition', {
      Name: 'Test/rotation-failures',
      QueryString: Match.stringLikeRegexp("filter outcome = 'failed'"),
    });
  });

  it('builds one dashboard with sidecar, inference and rotation metrics', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    for (const name of [
      MetricName.CacheHit,
      MetricName.RefreshError,
      MetricName.StaleServed,
      MetricName.ProviderLatency,
      MetricName.SecretLookupLatency,
      MetricName.RotationStepFailed,
      MetricName.KeyPoolRemaining,
    ]) {
      expect(body).toContain(name);
    }
  });

  it("grants no service on the alarm topic except this account's CloudWatch alarms", () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Principal: '*' }),
          {
            Sid: 'AllowCloudWatchAlarms',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: ref(stack.alarmTopic.topic),
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
  });

  it('encrypts the alarm topic with a rotating key and refuses publishes without TLS', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: getAtt(stack.alarmTopic.key, 'Arn'),
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });
});

describe('inference API', () => {
  it('requires a Cognito JWT with the secret-sidecar/invoke scope on every route', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [ref(stack.inference.client)],
        Issuer: {
          'Fn::Join': [
            '',
            [
              'https://cognito-idp.',
              { Ref: 'AWS::Region' },
              '.amazonaws.com/',
              ref(stack.inference.userPool),
            ],
          ],
        },
      },
    });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) {
      expect(route.Properties).toMatchObject({
        AuthorizationType: 'JWT',
        AuthorizationScopes: ['secret-sidecar/invoke'],
      });
    }
  });

  it('issues client-credentials tokens with the invoke scope to a machine client', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'secret-sidecar',
      Scopes: [{ ScopeName: 'invoke', ScopeDescription: Match.anyValue() }],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: [{ 'Fn::Join': ['', [ref(stack.inference.resourceServer), '/invoke']] }],
    });
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
    });
  });

  it('serves the streaming variant on a Function URL that needs IAM auth', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      InvokeMode: 'RESPONSE_STREAM',
      TargetFunctionArn: getAtt(stack.inference.streamFunction ?? stack, 'Arn'),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: [ref(stack.layer)],
      Timeout: 90,
      Environment: {
        Variables: Match.objectLike({
          SECRET_SIDECAR_SECRETS: { 'Fn::Join': ['', ['provider=', ref(stack.apiKey.secret)]] },
          INFERENCE_REQUIRED_SCOPE: 'secret-sidecar/invoke',
          INFERENCE_PROVIDER_TIMEOUT_MS: '80000',
        }),
      },
    });
  });

  it('throttles each route and the stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      RouteSettings: {
        'POST /v1/chat': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      },
      AccessLogSettings: {
        DestinationArn: getAtt(stack.inference.accessLogGroup, 'Arn'),
        Format: Match.stringLikeRegexp('\\$context.authorizer.claims.client_id'),
      },
    });
  });
});

describe('cdk-nag', () => {
  it('reports no unacknowledged AwsSolutions finding', () => {
    expect(synth.nagViolations).toEqual([]);
  });
});
