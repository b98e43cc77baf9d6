/**
 * Wires the secret-sidecar extension into a function: the layer, the
 * `SECRET_SIDECAR_*` environment and least-privilege reads of exactly the
 * configured secrets and parameters.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { SidecarEnv } from '../../extension/config.ts';
import { ErrorCode, SidecarError } from '../../shared/errors.ts';
import { DEFAULT_HTTP_PORT, DEFAULT_SECRET_DIR } from '../../shared/sidecar-protocol.ts';
import {
  acknowledgeDefaultRuntime,
  createFunctionLogGroup,
  createFunctionRole,
  DEFAULT_ARCHITECTURE,
  DEFAULT_RUNTIME,
} from './function-defaults.ts';

/** The `SECRET_SIDECAR_*` variables {@link attachSecretSidecar} sets, as the extension names them. */
export { SidecarEnv } from '../../extension/config.ts';

/** A Secrets Manager secret the extension prefetches, under an alias. */
export interface SidecarSecret {
  /** File and lookup name, `[A-Za-z0-9._-]+`. */
  readonly alias: string;
  /** The secret. Its `encryptionKey`, when set, gets a `kms:Decrypt` grant via Secrets Manager. */
  readonly secret: secretsmanager.ISecret;
}

/** An SSM parameter the extension prefetches, under an alias. */
export interface SidecarParameter {
  /** File and lookup name, `[A-Za-z0-9._-]+`. */
  readonly alias: string;
  /** The parameter. */
  readonly parameter: ssm.IParameter;
}

/** Extension log levels. */
export const SidecarLogLevel = {
  Debug: 'debug',
  Info: 'info',
  Warn: 'warn',
  Error: 'error',
  None: 'none',
} as const;

/** One of {@link SidecarLogLevel}. */
export type SidecarLogLevel = (typeof SidecarLogLevel)[keyof typeof SidecarLogLevel];

/** What {@link attachSecretSidecar} configures. */
export interface SidecarOptions {
  /** The extension layer, usually a {@link SecretSidecarLayer}. */
  readonly layer: lambda.ILayerVersion;
  /** Secrets to prefetch and serve. @default none */
  readonly secrets?: readonly SidecarSecret[];
  /** SSM parameters to prefetch and serve. @default none */
  readonly parameters?: readonly SidecarParameter[];
  /** Cache TTL, whole seconds from 0 to 86400. @default Duration.seconds(300) */
  readonly ttl?: Duration;
  /** How long past expiry a last-good value may be served when AWS fails. @default the extension's default */
  readonly maxStale?: Duration;
  /** Localhost port of the extension's HTTP API. @default 2773 */
  readonly httpPort?: number;
  /** Absolute folder of the secret files. @default '/tmp/secret-sidecar' */
  readonly secretDir?: string;
  /** @default 'info' */
  readonly logLevel?: SidecarLogLevel;
  /** Write secret files (false keeps secrets off disk, HTTP only). @default true */
  readonly writeFiles?: boolean;
}

const ALIAS = /^[A-Za-z0-9._-]+$/;

/**
 * Attaches the extension to `fn`: adds the layer, sets the `SECRET_SIDECAR_*`
 * environment, and grants `fn`'s role exactly `secretsmanager:GetSecretValue`
 * and `secretsmanager:DescribeSecret` on each secret, `kms:Decrypt` on each
 * secret's customer-managed key only through Secrets Manager for that secret,
 * and `ssm:GetParameter` on each parameter.
 *
 * @throws SidecarError (ConfigInvalid) on a bad alias, duplicate alias, port, TTL or folder.
 */
export function attachSecretSidecar(fn: lambda.Function, options: SidecarOptions): void {
  const secrets = options.secrets ?? [];
  const parameters = options.parameters ?? [];
  validate(options, secrets, parameters);
  const role = fn.role;
  if (role === undefined) {
    throw new SidecarError(
      ErrorCode.ConfigInvalid,
      `function ${fn.node.path} has no role to grant secret reads to`,
    );
  }

  fn.addLayers(options.layer);
  const env: Record<string, string> = {
    // The full ARN when known; otherwise the name (a partial ARN can be ambiguous).
    [SidecarEnv.Secrets]: secrets
      .map((s) => `${s.alias}=${s.secret.secretFullArn ?? s.secret.secretName}`)
      .join(','),
    [SidecarEnv.Parameters]: parameters
      .map((p) => `${p.alias}=${p.parameter.parameterName}`)
      .join(','),
    [SidecarEnv.TtlSeconds]: String((options.ttl ?? Duration.seconds(300)).toSeconds()),
    [SidecarEnv.HttpPort]: String(options.httpPort ?? DEFAULT_HTTP_PORT),
    [SidecarEnv.Dir]: options.secretDir ?? DEFAULT_SECRET_DIR,
    [SidecarEnv.LogLevel]: options.logLevel ?? SidecarLogLevel.Info,
    [SidecarEnv.Files]: String(options.writeFiles ?? true),
  };
  if (options.maxStale !== undefined) {
    env[SidecarEnv.MaxStaleSeconds] = String(options.maxStale.toSeconds());
  }
  for (const [name, value] of Object.entries(env)) {
    if (value !== '') fn.addEnvironment(name, value);
  }

  if (secrets.length > 0) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SidecarReadSecrets',
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: secrets.map((s) => s.secret.secretFullArn ?? `${s.secret.secretArn}-??????`),
      }),
    );
  }
  const region = Stack.of(fn).region;
  for (const [i, s] of secrets.entries()) {
    const key = s.secret.encryptionKey;
    if (key === undefined) continue;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: `SidecarDecryptViaSecretsManager${i}`,
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': `secretsmanager.${region}.amazonaws.com`,
            // Secrets Manager puts the full secret ARN in the encryption context;
            // pinning it keeps the grant to this one secret even on a shared key.
            ...(s.secret.secretFullArn === undefined
              ? {}
              : { 'kms:EncryptionContext:SecretARN': s.secret.secretFullArn }),
          },
        },
      }),
    );
  }
  if (parameters.length > 0) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SidecarReadParameters',
        actions: ['ssm:GetParameter'],
        resources: parameters.map((p) => p.parameter.parameterArn),
      }),
    );
  }
}

function validate(
  options: SidecarOptions,
  secrets: readonly SidecarSecret[],
  parameters: readonly SidecarParameter[],
): void {
  const problems: string[] = [];
  for (const [kind, aliases] of [
    ['secret', secrets.map((s) => s.alias)],
    ['parameter', parameters.map((p) => p.alias)],
  ] as const) {
    const seen = new Set<string>();
    for (const alias of aliases) {
      if (!ALIAS.test(alias)) problems.push(`${kind} alias "${alias}" must match [A-Za-z0-9._-]+`);
      if (seen.has(alias)) problems.push(`${kind} alias "${alias}" is used twice`);
      seen.add(alias);
    }
  }
  const port = options.httpPort ?? DEFAULT_HTTP_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    problems.push(`httpPort must be an integer from 1 to 65535, got ${port}`);
  }
  const ttl = options.ttl?.toSeconds();
  if (ttl !== undefined && (ttl < 0 || ttl > 86400)) {
    problems.push(`ttl must be from 0 to 86400 seconds, got ${ttl}`);
  }
  const dir = options.secretDir;
  if (dir !== undefined && !dir.startsWith('/')) {
    problems.push(`secretDir must be an absolute path, got "${dir}"`);
  }
  if (problems.length > 0) {
    throw new SidecarError(ErrorCode.ConfigInvalid, `secret-sidecar: ${problems.join('; ')}`);
  }
}

/** Props of {@link SidecarFunction}: a function's props plus the sidecar's. */
export interface SidecarFunctionProps extends Omit<lambda.FunctionProps, 'runtime'> {
  /** @default Runtime.NODEJS_22_X */
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
 * A Node function with the secret-sidecar extension attached. Unless given,
 * it gets its own log group (180-day retention) and a role that may write only
 * to that log group, plus the secret reads from {@link attachSecretSidecar}.
 * Defaults: `nodejs22.x`, arm64.
 */
export class SidecarFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: SidecarFunctionProps) {
    const { sidecar, logGroupRetention, ...fnProps } = props;
    const logGroup =
      fnProps.logGroup ??
      createFunctionLogGroup(scope, `${id}LogGroup`, { retention: logGroupRetention });
    const role =
      fnProps.role ??
      createFunctionRole(scope, `${id}Role`, logGroup, `Execution role of ${id} (secret-sidecar)`);
    super(scope, id, {
      ...fnProps,
      runtime: fnProps.runtime ?? DEFAULT_RUNTIME,
      architecture: fnProps.architecture ?? DEFAULT_ARCHITECTURE,
      logGroup,
      role,
    });
    attachSecretSidecar(this, sidecar);
    acknowledgeDefaultRuntime(this);
  }
}
