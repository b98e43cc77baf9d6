/**
 * Response bodies in the shape of AWS's GetSecretValue / GetParameter JSON, as
 * the AWS Parameters and Secrets Lambda Extension returns them, and the file
 * envelopes built from the same values.
 */
import { ENVELOPE_VERSION, type SecretEnvelope, SourceKind } from '../shared/sidecar-protocol.ts';
import type { CacheEntry } from './cache.ts';
import type { ParameterValue } from './parameter-source.ts';
import type { SecretValue } from './secret-source.ts';

/** GetSecretValue response JSON. Dates are epoch seconds, as the AWS JSON protocol sends them. */
export function secretValueJson(value: SecretValue): Record<string, unknown> {
  return {
    ARN: value.arn,
    Name: value.name,
    VersionId: value.versionId,
    ...(value.secretString !== undefined
      ? { SecretString: value.secretString }
      : { SecretBinary: Buffer.from(value.secretBinary ?? new Uint8Array()).toString('base64') }),
    VersionStages: value.versionStages,
    ...(value.createdDate !== undefined ? { CreatedDate: value.createdDate / 1000 } : {}),
    ResultMetadata: {},
  };
}

/** GetParameter response JSON. */
export function parameterJson(value: ParameterValue): Record<string, unknown> {
  return {
    Parameter: {
      Name: value.name,
      Type: value.type,
      Value: value.value,
      Version: value.version,
      ARN: value.arn,
      ...(value.lastModifiedDate !== undefined
        ? { LastModifiedDate: value.lastModifiedDate / 1000 }
        : {}),
      DataType: value.dataType,
      ...(value.selector !== undefined ? { Selector: value.selector } : {}),
    },
    ResultMetadata: {},
  };
}

/** The file envelope of a cached secret, published under `name`. */
export function secretEnvelope(
  secretId: string,
  name: string,
  entry: CacheEntry<SecretValue>,
): SecretEnvelope {
  const v = entry.value;
  const binary = v.secretString === undefined;
  return {
    version: ENVELOPE_VERSION,
    source: SourceKind.SecretsManager,
    name,
    secretId,
    arn: v.arn,
    versionId: v.versionId,
    versionStages: v.versionStages,
    value: binary
      ? Buffer.from(v.secretBinary ?? new Uint8Array()).toString('base64')
      : (v.secretString ?? ''),
    binary,
    fetchedAt: entry.fetchedAt,
    expiresAt: entry.expiresAt,
  };
}

/** The file envelope of a cached parameter (`versionId` is the parameter version), published under `name`. */
export function parameterEnvelope(
  parameterName: string,
  name: string,
  entry: CacheEntry<ParameterValue>,
): SecretEnvelope {
  const v = entry.value;
  return {
    version: ENVELOPE_VERSION,
    source: SourceKind.Ssm,
    name,
    secretId: parameterName,
    arn: v.arn,
    versionId: String(v.version),
    versionStages: v.selector ? [v.selector] : [],
    value: v.value,
    binary: false,
    fetchedAt: entry.fetchedAt,
    expiresAt: entry.expiresAt,
  };
}
