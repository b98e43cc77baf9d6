/**
 * Alarms, a dashboard and Logs Insights queries over the EMF metrics the
 * extension, rotation and inference functions emit (namespace `SecretSidecar`,
 * dimension set exactly `{ FunctionName }`) and the API Gateway metrics.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE, MetricName } from '../../shared/metrics.ts';
import type { RotatedApiKey } from './rotated-api-key.ts';

/** The audit line the rotation function writes once per step. */
export const ROTATION_AUDIT_MESSAGE = 'rotation step';

/** Props of {@link Observability}. */
export interface ObservabilityProps {
  /** Where every alarm goes. */
  readonly alarmTopic: sns.ITopic;
  /** Functions running the sidecar: each gets RefreshError and StaleServed alarms. */
  readonly sidecarFunctions: readonly lambda.IFunction[];
  /** The inference API and function, for 5xx and p99 latency alarms. @default none */
  readonly inference?: {
    readonly api: apigwv2.IHttpApi;
    readonly function: lambda.IFunction;
  };
  /** Rotated keys: their alarms go on the dashboard, their logs get the audit queries. @default none */
  readonly rotatedKeys?: readonly RotatedApiKey[];
  /** Alarm when p99 API latency stays above this. @default Duration.seconds(20) */
  readonly latencyP99Threshold?: Duration;
  /** Alarm when the API returns at least this many 5xx in 5 minutes. @default 5 */
  readonly serverErrorThreshold?: number;
  /** @default the stack name */
  readonly dashboardName?: string;
}

/** Alarms, dashboard and query definitions for the whole system. */
export class Observability extends Construct {
  /** Every alarm created here. */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** The dashboard. */
  readonly dashboard: cloudwatch.Dashboard;
  /** Logs Insights queries over the rotation audit trail. */
  readonly queries: readonly logs.QueryDefinition[];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const action = new cwActions.SnsAction(props.alarmTopic);
    const alarms: cloudwatch.Alarm[] = [];
    const five = Duration.minutes(5);

    props.sidecarFunctions.forEach((fn, i) => {
      alarms.push(
        new cloudwatch.Alarm(this, `SidecarRefreshErrors${i}`, {
          alarmDescription:
            'secret-sidecar failed to refresh from Secrets Manager/SSM for 15 minutes in a row',
          metric: emf(MetricName.RefreshError, fn, cloudwatch.Stats.SUM, five),
          threshold: 1,
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        new cloudwatch.Alarm(this, `SidecarStaleServed${i}`, {
          alarmDescription: 'secret-sidecar served a value past its TTL because AWS failed',
          metric: emf(MetricName.StaleServed, fn, cloudwatch.Stats.SUM, five),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    });

    if (props.inference) {
      const { api } = props.inference;
      alarms.push(
        new cloudwatch.Alarm(this, 'Inference5xx', {
          alarmDescription: 'The inference API returned 5xx responses',
          metric: api.metricServerError({ period: five, statistic: cloudwatch.Stats.SUM }),
          threshold: props.serverErrorThreshold ?? 5,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        new cloudwatch.Alarm(this, 'InferenceLatencyP99', {
          alarmDescription: 'The inference API p99 latency stayed high for 15 minutes',
          metric: api.metricLatency({ period: five, statistic: cloudwatch.Stats.p(99) }),
          threshold: (props.latencyP99Threshold ?? Duration.seconds(20)).toMilliseconds(),
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    for (const alarm of alarms) alarm.addAlarmAction(action);
    this.alarms = alarms;

    const rotated = props.rotatedKeys ?? [];
    this.queries = rotated.length > 0 ? this.#queries(rotated.map((k) => k.logGroup)) : [];
    this.dashboard = this.#dashboard(props, rotated, five);
  }

  #queries(logGroups: logs.ILogGroup[]): logs.QueryDefinition[] {
    const audit = `message = '${ROTATION_AUDIT_MESSAGE}'`;
    const prefix = Stack.of(this).stackName;
    return [
      new logs.QueryDefinition(this, 'RotationAuditTrail', {
        queryDefinitionName: `${prefix}/rotation-audit-trail`,
        logGroups,
        queryString: new logs.QueryString({
          fields: [
            '@timestamp',
            'secretArn',
            'token',
            'step',
            'outcome',
            'durationMs',
            'issuer',
            'keyId',
            'errorCode',
          ],
          filterStatements: [audit],
          sort: '@timestamp desc',
          limit: 1000,
        }),
      }),
      new logs.QueryDefinition(this, 'RotationFailures', {
        queryDefinitionName: `${prefix}/rotation-failures`,
        logGroups,
        queryString: new logs.QueryString({
          fields: ['@timestamp', 'secretArn', 'token', 'step', 'issuer', 'keyId', 'errorCode'],
          filterStatements: [audit, `outcome = 'failed'`],
          sort: '@timestamp desc',
          limit: 1000,
        }),
      }),
      new logs.QueryDefinition(this, 'RotationsPerSecret', {
        queryDefinitionName: `${prefix}/rotations-per-secret`,
        logGroups,
        queryString: new logs.QueryString({
          filterStatements: [audit],
          statsStatements: [
            'count(*) as steps, max(durationMs) as slowestMs, latest(keyId) as lastKeyId by secretArn, issuer, outcome',
          ],
        }),
      }),
    ];
  }

  #dashboard(
    props: ObservabilityProps,
    rotated: readonly RotatedApiKey[],
    period: Duration,
  ): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? Stack.of(this).stackName,
      defaultInterval: Duration.hours(6),
    });
    const sum = cloudwatch.Stats.SUM;
    const p99 = cloudwatch.Stats.p(99);
    const fns = props.sidecarFunctions;
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '# secret-sidecar\nSidecar cache, inference gateway and key rotation. Runbook: docs/rotation.md.',
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Sidecar cache',
        left: fns.flatMap((fn) => [
          emf(MetricName.CacheHit, fn, sum, period),
          emf(MetricName.CacheMiss, fn, sum, period),
        ]),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Sidecar refreshes',
        left: fns.flatMap((fn) => [
          emf(MetricName.Refresh, fn, sum, period),
          emf(MetricName.RefreshError, fn, sum, period),
          emf(MetricName.StaleServed, fn, sum, period),
        ]),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Sidecar upstream latency p99 (ms)',
        left: fns.map((fn) => emf(MetricName.UpstreamLatency, fn, p99, period)),
        width: 8,
      }),
    );
    if (props.inference) {
      const { api, function: fn } = props.inference;
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Inference API responses',
          left: [
            api.metricCount({ period, statistic: sum }),
            api.metricClientError({ period, statistic: sum }),
            api.metricServerError({ period, statistic: sum }),
          ],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Inference latency (ms)',
          left: [
            api.metricLatency({ period, statistic: p99 }),
            emf(MetricName.ProviderLatency, fn, p99, period),
            emf(MetricName.SecretLookupLatency, fn, p99, period),
          ],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Inference requests and errors',
          left: [
            emf(MetricName.InferenceRequest, fn, sum, period),
            emf(MetricName.InferenceError, fn, sum, period),
            emf(MetricName.KeyRefreshOnUnauthorized, fn, sum, period),
          ],
          width: 8,
        }),
      );
    }
    if (rotated.length > 0) {
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Rotation steps',
          left: rotated.flatMap((k) => [
            emf(MetricName.RotationStepSucceeded, k.rotationFunction, sum, period),
            emf(MetricName.RotationStepFailed, k.rotationFunction, sum, period),
          ]),
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Rotation step duration p99 (ms)',
          left: rotated.map((k) =>
            emf(MetricName.RotationStepDuration, k.rotationFunction, p99, period),
          ),
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Key pool remaining (anthropic)',
          left: rotated.map((k) =>
            emf(MetricName.KeyPoolRemaining, k.rotationFunction, cloudwatch.Stats.MINIMUM, period),
          ),
          width: 8,
        }),
        new cloudwatch.LogQueryWidget({
          title: 'Rotation audit trail',
          logGroupNames: rotated.map((k) => k.logGroup.logGroupName),
          queryLines: [
            'fields @timestamp, secretArn, step, outcome, durationMs, issuer, keyId, errorCode',
            `filter message = '${ROTATION_AUDIT_MESSAGE}'`,
            'sort @timestamp desc',
            'limit 100',
          ],
          width: 24,
        }),
      );
    }
    const allAlarms = [...this.alarms, ...rotated.flatMap((k) => k.alarms)];
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: allAlarms, width: 24 }),
    );
    return dashboard;
  }
}

/** An EMF metric of one function. */
function emf(
  name: MetricName,
  fn: lambda.IFunction,
  statistic: string,
  period: Duration,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: name,
    dimensionsMap: { FunctionName: fn.functionName },
    statistic,
    period,
  });
}
