/**
 * Wires the secret-sidecar extension into a function: the layer of the flavour the
 * function's runtime and architecture need, the `SECRET_SIDECAR_*` environment and
 * least-privilege reads of exactly the configured secrets and parameters.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { SidecarEnv } from '../../extension/config.ts';
import { ErrorCode, SidecarError } from '../../shared/errors.ts';
import { DEFAULT_HTTP_PORT, DEFAULT_SECRET_DIR } from '../../shared/sidecar-protocol.ts';
import { awsExtensionConflicts } from './aws-extension-conflicts.ts';
import { layerForFunction } from './layer-for-function.ts';

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
  /**
   * The extension layer: a {@link SecretSidecarLayer}, one imported with
   * `SecretSidecarLayer.fromVersionArn`, or any layer version for a Node.js function. Its
   * flavour must suit the function: the `node` flavour only on Node.js runtimes, a
   * standalone one only on its own architecture.
   * @default one layer per stack and flavour, of the flavour the function needs: `node` for
   * Node.js runtimes, `standalone` for the function's architecture otherwise
   */
  readonly layer?: lambda.ILayerVersion;
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
 * Attaches the extension to `fn`: adds the layer (of the flavour `fn` needs, unless
 * given), sets the `SECRET_SIDECAR_*` environment, and grants `fn`'s role exactly
 * `secretsmanager:GetSecretValue` and `secretsmanager:DescribeSecret` on each secret,
 * `kms:Decrypt` on each secret's customer-managed key only through Secrets Manager for
 * that secret, and `ssm:GetParameter` on each parameter. At synth it fails when `fn` also
 * carries AWS's Parameters and Secrets extension on the same port.
 *
 * @throws SidecarError (ConfigInvalid) on a bad alias, duplicate alias, port, TTL or
 * folder, a container-image function, or a layer whose flavour cannot run on `fn`.
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

  fn.addLayers(layerForFunction(fn, options.layer));
  const port = options.httpPort ?? DEFAULT_HTTP_PORT;
  fn.node.addValidation({ validate: () => awsExtensionConflicts(fn, port) });
  const env: Record<string, string> = {
    // The full ARN when known; otherwise the name (a partial ARN can be ambiguous).
    [SidecarEnv.Secrets]: secrets
      .map((s) => `${s.alias}=${s.secret.secretFullArn ?? s.secret.secretName}`)
      .join(','),
    [SidecarEnv.Parameters]: parameters
      .map((p) => `${p.alias}=${p.parameter.parameterName}`)
      .join(','),
    [SidecarEnv.TtlSeconds]: String((options.ttl ?? Duration.seconds(300)).toSeconds()),
    [SidecarEnv.HttpPort]: String(port),
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
