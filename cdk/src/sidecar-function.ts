/**
 * A function with the secret-sidecar extension attached, and the log group and role it
 * needs, all inside one construct.
 */
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { attachSecretSidecar, type SidecarOptions } from './attach-secret-sidecar.ts';
import {
  acknowledgeDefaultRuntime,
  createFunctionLogGroup,
  createFunctionRole,
  DEFAULT_ARCHITECTURE,
  DEFAULT_RUNTIME,
} from './function-defaults.ts';

/** Props of {@link SidecarFunction}: a function's props plus the sidecar's. */
export interface SidecarFunctionProps extends Omit<lambda.FunctionProps, 'runtime'> {
  /**
   * Any runtime: Node.js functions get the `node` flavour of the layer, every other
   * runtime the standalone flavour for the function's architecture.
   * @default Runtime.NODEJS_22_X
   */
  readonly runtime?: lambda.Runtime;
  /** The extension configuration. */
  readonly sidecar: SidecarOptions;
  /**
   * Retention of the log group created when `logGroup` is not given.
   * @default RetentionDays.SIX_MONTHS (180 days)
   */
  readonly logGroupRetention?: logs.RetentionDays;
}

/**
 * A function with the secret-sidecar extension attached. Unless given, it gets its own
 * log group (180-day retention) and a role that may write only to that log group, plus
 * the secret reads from {@link attachSecretSidecar}; all three are children of this
 * construct. Defaults: `nodejs22.x`, arm64.
 */
export class SidecarFunction extends Construct {
  /** The function. */
  readonly function: lambda.Function;
  /** Its execution role. */
  readonly role: iam.IRole;
  /** Its log group. */
  readonly logGroup: logs.ILogGroupRef;

  constructor(scope: Construct, id: string, props: SidecarFunctionProps) {
    super(scope, id);
    const { sidecar, logGroupRetention, ...fnProps } = props;
    this.logGroup =
      fnProps.logGroup ??
      createFunctionLogGroup(this, 'LogGroup', { retention: logGroupRetention });
    this.role =
      fnProps.role ??
      createFunctionRole(
        this,
        'Role',
        this.logGroup,
        `Execution role of ${this.node.path} (secret-sidecar)`,
      );
    this.function = new lambda.Function(this, 'Function', {
      ...fnProps,
      runtime: fnProps.runtime ?? DEFAULT_RUNTIME,
      architecture: fnProps.architecture ?? DEFAULT_ARCHITECTURE,
      logGroup: this.logGroup,
      role: this.role,
    });
    attachSecretSidecar(this.function, sidecar);
    acknowledgeDefaultRuntime(this.function);
  }
}
