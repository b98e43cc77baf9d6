/**
 * The two ways a value reaches the client, a file envelope and an HTTP answer of the
 * extension, made into the same {@link SecretValue}. The envelope itself is parsed and
 * checked by the shared wire contract.
 */
import type { SecretEnvelope, SourceKind } from '../../shared/sidecar-protocol.ts';

/** Where a value was first read from. */
export type SecretOrigin = 'file' | 'http';

/** One version of a secret or parameter, as handed to callers of the client library. */
export interface SecretValue {
  /** The alias or id that was asked for. */
  readonly id: string;
  /** Secrets Manager (`secretsmanager`) or Parameter Store (`ssm`). */
  readonly source: SourceKind;
  /** The secret's or the parameter's ARN. */
  readonly arn: string;
  /** The secret's or parameter's name (from HTTP) or the configured id (from the file). */
  readonly name: string;
  /** The Secrets Manager version id, or the parameter version; the in-process memo is keyed by it. */
  readonly versionId: string;
  /** Staging labels of this version (`['AWSCURRENT']`), or the parameter's selector. */
  readonly versionStages: readonly string[];
  /** `SecretString` or the parameter value, or base64 of `SecretBinary` when {@link SecretValue.binary}. */
  readonly value: string;
  /** True when {@link SecretValue.value} is base64 of binary data. */
  readonly binary: boolean;
  /** Where this version was first read. */
  readonly origin: SecretOrigin;
}

/** Builds a {@link SecretValue} from a checked file envelope. */
export function fromEnvelope(id: string, env: SecretEnvelope): SecretValue {
  return Object.freeze({
    id,
    source: env.source,
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
  const o = object(body);
  if (!o) return undefined;
  const binary = typeof o.SecretString !== 'string' && typeof o.SecretBinary === 'string';
  const value = binary ? o.SecretBinary : o.SecretString;
  if (typeof value !== 'string' || typeof o.VersionId !== 'string') return undefined;
  return Object.freeze({
    id,
    source: 'secretsmanager' as const,
    arn: typeof o.ARN === 'string' ? o.ARN : '',
    name: typeof o.Name === 'string' ? o.Name : id,
    versionId: o.VersionId,
    versionStages: Object.freeze(stringArray(o.VersionStages)),
    value,
    binary,
    origin: 'http' as const,
  });
}

/**
 * Builds a {@link SecretValue} from a GetParameter-shaped HTTP answer
 * (`{"Parameter": {Name, Type, Value, Version, ARN, Selector?}}`).
 * Returns undefined when the body is not such an answer.
 */
export function fromGetParameter(id: string, body: string): SecretValue | undefined {
  const p = object(body)?.Parameter as Record<string, unknown> | undefined;
  if (!p || typeof p !== 'object' || typeof p.Value !== 'string') return undefined;
  if (typeof p.Version !== 'number') return undefined;
  return Object.freeze({
    id,
    source: 'ssm' as const,
    arn: typeof p.ARN === 'string' ? p.ARN : '',
    name: typeof p.Name === 'string' ? p.Name : id,
    versionId: String(p.Version),
    versionStages: Object.freeze(typeof p.Selector === 'string' ? [p.Selector] : []),
    value: p.Value,
    binary: false,
    origin: 'http' as const,
  });
}

function object(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function stringArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}
