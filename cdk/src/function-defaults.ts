/**
 * Secure defaults shared by every function the constructs create: Node 22 on
 * arm64, a log group with retention, and a role that can write to that log
 * group only (no AWS managed policy).
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Log retention when none is configured: 180 days. */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.SIX_MONTHS;

/** Runtime of every function: `nodejs22.x`. */
export const DEFAULT_RUNTIME = lambda.Runtime.NODEJS_22_X;

/** Architecture of every function: arm64. */
export const DEFAULT_ARCHITECTURE = lambda.Architecture.ARM_64;

/** Options for {@link createFunctionLogGroup}. */
export interface FunctionLogGroupOptions {
  /** @default {@link DEFAULT_LOG_RETENTION} (180 days) */
  readonly retention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN (logs are the audit trail) */
  readonly removalPolicy?: RemovalPolicy;
}

/** Creates a log group with retention for one function. */
export function createFunctionLogGroup(
  scope: Construct,
  id: string,
  options: FunctionLogGroupOptions = {},
): logs.LogGroup {
  return new logs.LogGroup(scope, id, {
    retention: options.retention ?? DEFAULT_LOG_RETENTION,
    removalPolicy: options.removalPolicy ?? RemovalPolicy.RETAIN,
  });
}

/**
 * Creates a function execution role whose only permission is writing to
 * `logGroup`. Callers add exactly the statements their function needs.
 */
export function createFunctionRole(
  scope: Construct,
  id: string,
  logGroup: logs.ILogGroupRef,
  description: string,
): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupRef.logGroupArn],
    }),
  );
  return role;
}

/**
 * Acknowledges cdk-nag AwsSolutions-L1 on a function that runs on
 * {@link DEFAULT_RUNTIME}; any other runtime stays subject to the check.
 */
export function acknowledgeDefaultRuntime(fn: lambda.Function): void {
  if (fn.runtime.name !== DEFAULT_RUNTIME.name) return;
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'nodejs22.x by design: the bundles target and are tested on Node 22 LTS (supported by ' +
      'Lambda); moving to nodejs24.x is a deliberate upgrade, not a silent default.',
  });
}
