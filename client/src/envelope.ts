/**
 * Reading and checking the extension's secret files and HTTP answers.
 * Both become the same {@link SecretValue} shape.
 */
import { ENVELOPE_VERSION, type SecretEnvelope } from '../../shared/sidecar-protocol.ts';

/** Where a secret version was first read from. */
export type SecretOrigin = 'file' | 'http';

/** One version of a secret, as handed to callers of the client library. */
export interface SecretValue {
  /** The alias or id that was asked for. */
  readonly id: string;
  /** The secret's ARN (or the parameter's ARN). */
  readonly arn: string;
  /** The secret's name (from HTTP) or the configured id (from the file). */
  readonly name: string;
  /** The Secrets Manager version id; the in-process memo is keyed by it. */
  readonly versionId: string;
  /** Staging labels of this version, e.g. `['AWSCURRENT']`. */
  readonly versionStages: readonly string[];
  /** `SecretString`, or base64 of `SecretBinary` when {@link SecretValue.binary} is true. */
  readonly value: string;
  /** True when {@link SecretValue.value} is base64 of binary data. */
  readonly binary: boolean;
  /** Where this version was first read. */
  readonly origin: SecretOrigin;
}

/**
 * Parses a file envelope. Returns undefined for anything that is not a
 * version-1 envelope with the required fields, so callers fall back to HTTP.
 */
export function parseEnvelope(text: string): SecretEnvelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const e = parsed as Record<string, unknown>;
  if (e.version !== ENVELOPE_VERSION) return undefined;
  if (typeof e.value !== 'string' || typeof e.versionId !== 'string') return undefined;
  if (typeof e.expiresAt !== 'number' || !Number.isFinite(e.expiresAt)) return undefined;
  if (typeof e.secretId !== 'string' || typeof e.arn !== 'string') return undefined;
  return {
    version: ENVELOPE_VERSION,
    source: e.source === 'ssm' ? 'ssm' : 'secretsmanager',
    secretId: e.secretId,
    arn: e.arn,
    versionId: e.versionId,
    versionStages: stringArray(e.versionStages),
    value: e.value,
    binary: e.binary === true,
    fetchedAt: typeof e.fetchedAt === 'number' ? e.fetchedAt : 0,
    expiresAt: e.expiresAt,
  };
}

/** Builds a {@link SecretValue} from a file envelope. */
export function fromEnvelope(id: string, env: SecretEnvelope): SecretValue {
  return Object.freeze({
    id,
    arn: env.arn,
    name: env.secretId,
    versionId: env.versionId,
    versionStages: Object.freeze([...env.versionStages]),
    value: env.value,
    binary: env.binary,
    origin: 'file' as const,
  });
}

/**
 * Builds a {@link SecretValue} from a GetSecretValue-shaped HTTP answer.
 * Returns undefined when the body is not such an answer.
 */
export function fromGetSecretValue(id: string, body: string): SecretValue | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const o = parsed as Record<string, unknown>;
  const binary = typeof o.SecretString !== 'string' && typeof o.SecretBinary === 'string';
  const value = binary ? o.SecretBinary : o.SecretString;
  if (typeof value !== 'string') return undefined;
  const versionId = typeof o.VersionId === 'string' ? o.VersionId : '';
  return Object.freeze({
    id,
    arn: typeof o.ARN === 'string' ? o.ARN : '',
    name: typeof o.Name === 'string' ? o.Name : id,
    versionId,
    versionStages: Object.freeze(stringArray(o.VersionStages)),
    value,
    binary,
    origin: 'http' as const,
  });
}

function stringArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}
