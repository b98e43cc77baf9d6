/**
 * The public contract between the secret-sidecar extension and its readers
 * (the inference client library, any Lambda author's code, acceptance tooling).
 * Keep it stable: the README documents it.
 */

/** Default HTTP port, the same as AWS's Parameters and Secrets extension. */
export const DEFAULT_HTTP_PORT = 2773;

/** Header that must carry `AWS_SESSION_TOKEN` on every authenticated request. */
export const TOKEN_HEADER = 'x-aws-parameters-secrets-token';

/** Default directory of the secret files. */
export const DEFAULT_SECRET_DIR = '/tmp/secret-sidecar';

/**
 * Variables both the extension and its client library read, so a function sets
 * them once: the port ({@link DEFAULT_HTTP_PORT}) and folder ({@link DEFAULT_SECRET_DIR}).
 */
export const SidecarProtocolEnv = {
  HttpPort: 'SECRET_SIDECAR_HTTP_PORT',
  Dir: 'SECRET_SIDECAR_DIR',
} as const;

/** The extension's registered name; equals its file name in `/opt/extensions/`. */
export const EXTENSION_NAME = 'secret-sidecar';

/** HTTP routes. */
export const Routes = {
  Ping: '/ping',
  SecretsManagerGet: '/secretsmanager/get',
  ParameterGet: '/systemsmanager/parameters/get',
} as const;

/** Version of the file envelope format. */
export const ENVELOPE_VERSION = 1;

/** Where a cached value came from. */
export type SourceKind = 'secretsmanager' | 'ssm';

/**
 * What each secret file holds. `value` is the SecretString / parameter value,
 * or base64 of SecretBinary when `binary` is true.
 */
export interface SecretEnvelope {
  readonly version: typeof ENVELOPE_VERSION;
  readonly source: SourceKind;
  /** The id as configured (name or ARN). */
  readonly secretId: string;
  readonly arn: string;
  readonly versionId: string;
  readonly versionStages: readonly string[];
  readonly value: string;
  readonly binary: boolean;
  /** Epoch ms when fetched from AWS. */
  readonly fetchedAt: number;
  /** Epoch ms after which readers must not trust the file and should ask over HTTP. */
  readonly expiresAt: number;
}

/**
 * File name for a secret: the alias when one is configured, otherwise the id with
 * every character outside `[A-Za-z0-9._-]` percent-encoded, plus `.json`.
 */
export function secretFileName(aliasOrId: string): string {
  let out = '';
  for (const byte of Buffer.from(aliasOrId, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9._-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `${out}.json`;
}
