import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Provider } from '../../../cdk/src/rotated-api-key.ts';
import { METRIC_NAMESPACE, MetricName } from '../../../shared/metrics.ts';
import {
  type FakeDist,
  logicalId,
  makeFakeDist,
  ref,
  roleStatements,
  rotateOwnSecretStatement,
  type Synthesized,
  synthStack,
  useKeyViaSecretsManagerStatement,
  writeOwnLogsStatement,
} from '../../support/cdk.ts';

let dist: FakeDist;
let anthropic: Synthesized;
let random: Synthesized;

beforeAll(() => {
  dist = makeFakeDist();
  anthropic = synthStack(dist, {
    provider: Provider.Anthropic,
    rotationCron: 'cron(0 4 ? * MON *)',
    rotationWindow: Duration.hours(2),
    logRetention: logs.RetentionDays.ONE_YEAR,
    alarmEmail: 'ops@example.com',
  });
  random = synthStack(dist, {
    provider: Provider.Random,
    providerBaseUrl: 'https://keys.example.com/check',
    rotateAfter: Duration.days(7),
  });
}, 120_000);

afterAll(() => dist?.cleanup());

describe('anthropic', () => {
  it('rotates on the cron schedule in the configured window', () => {
    anthropic.template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'cron(0 4 ? * MON *)', Duration: '2h' },
      RotateImmediatelyOnUpdate: false,
    });
  });

  it('lets the rotation role draw from the key pool and nothing else beyond its own secret', () => {
    const { stack, template } = anthropic;
    const key = stack.apiKey;
    const pool = key.keyPoolSecret;
    const admin = key.adminSecret;
    if (!pool || !admin) throw new Error('anthropic needs a key pool and an admin credential');
    expect(roleStatements(template, logicalId(key.rotationFunction.role ?? stack))).toEqual([
      writeOwnLogsStatement(key),
      rotateOwnSecretStatement(key),
      {
        Sid: 'ReadAdminCredential',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: ref(admin),
      },
      {
        Sid: 'DrawFromKeyPool',
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        Resource: ref(pool),
      },
      useKeyViaSecretsManagerStatement(key, [key.secret, admin, pool]),
    ]);
  });

  it('starts with an empty key pool bound to its own secret, and passes it to the rotation function', () => {
    anthropic.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      SecretString: {
        'Fn::Join': ['', ['{"boundTo":"', ref(anthropic.stack.apiKey.secret), '","keys":[]}']],
      },
    });
    anthropic.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          ROTATION_KEY_POOL_SECRET_ARN: ref(
            anthropic.stack.apiKey.keyPoolSecret ?? anthropic.stack,
          ),
          ROTATION_KEY_POOL_LOW_WATERMARK: '2',
        },
      },
    });
  });

  it('alarms when the key pool falls below the low watermark', () => {
    anthropic.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRIC_NAMESPACE,
      MetricName: MetricName.KeyPoolRemaining,
      Dimensions: [{ Name: 'FunctionName', Value: ref(anthropic.stack.apiKey.rotationFunction) }],
      Statistic: 'Minimum',
      Period: 3600,
      EvaluationPeriods: 1,
      Threshold: 2,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(anthropic.stack.alarmTopic.topic)],
    });
  });

  it('keeps logs for the configured retention', () => {
    const groups = Object.values(anthropic.template.findResources('AWS::Logs::LogGroup'));
    expect(groups.map((g) => g.Properties.RetentionInDays)).toEqual([365, 365, 365, 365]);
  });

  it('subscribes the alarm e-mail to the topic', () => {
    anthropic.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: ref(anthropic.stack.alarmTopic.topic),
    });
  });

  it('is clean under cdk-nag', () => {
    expect(anthropic.nagViolations).toEqual([]);
  });
});

describe('random', () => {
  it('rotates at the configured rate', () => {
    random.template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(7 days)', Duration: '4h' },
    });
  });

  it('stores the base URL the inference function calls, in a placeholder marked as one', () => {
    random.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate:
          '{"provider":"random","placeholder":true,"baseURL":"https://keys.example.com/check"}',
        GenerateStringKey: 'apiKey',
      },
    });
  });

  it('needs no admin credential and may call kms:GenerateRandom', () => {
    const { stack, template } = random;
    const key = stack.apiKey;
    expect(key.adminSecret).toBeUndefined();
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    expect(roleStatements(template, logicalId(key.rotationFunction.role ?? stack))).toEqual([
      writeOwnLogsStatement(key),
      rotateOwnSecretStatement(key),
      useKeyViaSecretsManagerStatement(key, [key.secret]),
      {
        Sid: 'GenerateRandomKeys',
        Effect: 'Allow',
        Action: 'kms:GenerateRandom',
        Resource: '*',
      },
    ]);
  });

  it('is clean under cdk-nag', () => {
    expect(random.nagViolations).toEqual([]);
  });
});
