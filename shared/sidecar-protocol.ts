/**
 * The public contract between the secret-sidecar extension and its readers (the
 * client library, any Lambda author's code in any language, acceptance tooling):
 * where the files are, which port and token the HTTP API uses, how files are named
 * and what an envelope holds. Both the extension and the client parse it here, and
 * only here. Keep it stable: the README documents it.
 */
import type { EnvReader } from './env.ts';

/** Default HTTP port, the same as AWS's Parameters and Secrets extension. */
export const DEFAULT_HTTP_PORT = 2773;

/** Header that must carry the token on every authenticated request. */
export const TOKEN_HEADER = 'x-aws-parameters-secrets-token';

/** Default directory of the secret files. */
export const DEFAULT_SECRET_DIR = '/tmp/secret-sidecar';

/** The extension's registered name; equals its file name in `/opt/extensions/`. */
export const EXTENSION_NAME = 'secret-sidecar';

/**
 * Variables both the extension and its readers use, so a function sets them once.
 * Our `SECRET_SIDECAR_*` name wins over AWS's when both are set.
 */
export const SidecarProtocolEnv = {
  HttpPort: 'SECRET_SIDECAR_HTTP_PORT',
  /** AWS's Parameters and Secrets extension's port variable (middy and Powertools read it too). */
  AwsHttpPort: 'PARAMETERS_SECRETS_EXTENSION_HTTP_PORT',
  Dir: 'SECRET_SIDECAR_DIR',
  /** The function's session token: the token callers send. */
  SessionToken: 'AWS_SESSION_TOKEN',
  /** Set instead of `AWS_SESSION_TOKEN` where there is none (e.g. SnapStart, container credentials). */
  ContainerAuthorizationToken: 'AWS_CONTAINER_AUTHORIZATION_TOKEN',
} as const;

/** Port bounds. */
export const PORT_RANGE = { min: 1, max: 65_535 } as const;

/** How to reach the extension, as both sides read it from the function's environment. */
export interface ProtocolConfig {
  /** `SECRET_SIDECAR_HTTP_PORT`, else `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`, else 2773. */
  readonly port: number;
  /** The variable the port came from, or undefined for the default. */
  readonly portFrom: string | undefined;
  /** `SECRET_SIDECAR_DIR`, absolute, default `/tmp/secret-sidecar`. */
  readonly dir: string;
  /** `AWS_SESSION_TOKEN`, else `AWS_CONTAINER_AUTHORIZATION_TOKEN`; undefined when neither is set. */
  readonly token: string | undefined;
}

/**
 * Reads the contract's variables through an existing {@link EnvReader}, so a part's
 * own config reports every problem at once.
 */
export function readProtocolConfig(r: EnvReader): ProtocolConfig {
  const ours = r.int(SidecarProtocolEnv.HttpPort, { ...PORT_RANGE, default: undefined });
  const aws = r.int(SidecarProtocolEnv.AwsHttpPort, { ...PORT_RANGE, default: undefined });
  const dir = r.string(SidecarProtocolEnv.Dir, DEFAULT_SECRET_DIR, {
    pattern: /^\//,
    allowed: 'an absolute path',
  });
  const token =
    r.raw(SidecarProtocolEnv.SessionToken) ?? r.raw(SidecarProtocolEnv.ContainerAuthorizationToken);
  return {
    port: ours ?? aws ?? DEFAULT_HTTP_PORT,
    portFrom:
      ours !== undefined
        ? SidecarProtocolEnv.HttpPort
        : aws !== undefined
          ? SidecarProtocolEnv.AwsHttpPort
          : undefined,
    dir,
    token,
  };
}

/** HTTP routes. */
export const Routes = {
  Ping: '/ping',
  SecretsManagerGet: '/secretsmanager/get',
  ParameterGet: '/systemsmanager/parameters/get',
} as const;

/** Version of the file envelope format. */
export const ENVELOPE_VERSION = 1;

/** Where a cached value came from. */
export const SourceKind = { SecretsManager: 'secretsmanager', Ssm: 'ssm' } as const;

/** One of {@link SourceKind}. */
export type SourceKind = (typeof SourceKind)[keyof typeof SourceKind];

/**
 * What each secret file holds. `value` is the SecretString / parameter value,
 * or base64 of SecretBinary when `binary` is true.
 */
export interface SecretEnvelope {
  readonly version: typeof ENVELOPE_VERSION;
  readonly source: SourceKind;
  /** The name the file is published under: the alias, else the configured id. */
  readonly name: string;
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

/** Prefix of the temp files an atomic write uses (`.<file name>.<random>.tmp`). */
export const TEMP_FILE = /^\..+\.[0-9a-f]+\.tmp$/;

/**
 * Parses and checks a file envelope. Returns undefined for anything that is not a
 * version-1 envelope with every field of the right type, so readers fall back to HTTP.
 *
 * @param expected - When given, the envelope must be for this source and name: a
 *   parameter's file is never accepted as a secret, and a file renamed by hand is not
 *   accepted under another name.
 */
export function parseEnvelope(
  text: string,
  expected?: { readonly source: SourceKind; readonly name?: string },
): SecretEnvelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const e = parsed as Record<string, unknown>;
  if (e.version !== ENVELOPE_VERSION) return undefined;
  if (e.source !== SourceKind.SecretsManager && e.source !== SourceKind.Ssm) return undefined;
  if (
    typeof e.name !== 'string' ||
    typeof e.secretId !== 'string' ||
    typeof e.arn !== 'string' ||
    typeof e.versionId !== 'string' ||
    typeof e.value !== 'string' ||
    typeof e.binary !== 'boolean' ||
    !isTime(e.fetchedAt) ||
    !isTime(e.expiresAt) ||
    !Array.isArray(e.versionStages) ||
    !e.versionStages.every((s) => typeof s === 'string')
  ) {
    return undefined;
  }
  if (expected && e.source !== expected.source) return undefined;
  if (expected?.name !== undefined && e.name !== expected.name) return undefined;
  return {
    version: ENVELOPE_VERSION,
    source: e.source,
    name: e.name,
    secretId: e.secretId,
    arn: e.arn,
    versionId: e.versionId,
    versionStages: e.versionStages as string[],
    value: e.value,
    binary: e.binary,
    fetchedAt: e.fetchedAt,
    expiresAt: e.expiresAt,
  };
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}
