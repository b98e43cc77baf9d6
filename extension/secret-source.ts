/**
 * The Secrets Manager port and its AWS SDK v3 adapter.
 *
 * Endpoints come from the SDK's standard variables (`AWS_ENDPOINT_URL`,
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`); every call is bounded by one deadline that
 * covers the SDK's retries, and every failure is mapped once by {@link toSidecarError}.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { toSidecarError } from '../shared/aws-errors.ts';
import { type AwsSourceOptions, awsClientConfig } from './aws-client-options.ts';

/** Default stage asked for when neither a version id nor a stage is given. */
export const AWSCURRENT = 'AWSCURRENT';

/** What to fetch: one secret, by version id or by stage. */
export interface SecretRequest {
  readonly secretId: string;
  /** Exclusive with `versionStage`. */
  readonly versionId?: string | undefined;
  /** Defaults to {@link AWSCURRENT} when `versionId` is absent. */
  readonly versionStage?: string | undefined;
}

/** A fetched secret version. Exactly one of `secretString` / `secretBinary` is set. */
export interface SecretValue {
  readonly arn: string;
  readonly name: string;
  readonly versionId: string;
  readonly versionStages: readonly string[];
  readonly secretString: string | undefined;
  readonly secretBinary: Uint8Array | undefined;
  /** Epoch ms, when Secrets Manager reports it. */
  readonly createdDate: number | undefined;
}

/** Port: where secret values come from. */
export interface SecretSource {
  /** GetSecretValue. */
  get(request: SecretRequest): Promise<SecretValue>;
  /**
   * DescribeSecret: the version id currently holding `stage`, and every version's stages.
   * Used to re-stamp an unchanged expired entry without fetching its value again.
   */
  describe(secretId: string): Promise<SecretVersions>;
}

/** A secret's versions and their stages, from DescribeSecret. */
export interface SecretVersions {
  readonly versionIdsToStages: Readonly<Record<string, readonly string[]>>;
  /** True when the secret is scheduled for deletion (`DeletedDate` is set): AWS no longer serves it. */
  readonly deleted: boolean;
}

/** Options for {@link SecretsManagerSource}. */
export type SecretsManagerSourceOptions = AwsSourceOptions;

/** {@link SecretSource} backed by AWS Secrets Manager. */
export class SecretsManagerSource implements SecretSource {
  readonly #client: SecretsManagerClient;
  readonly #timeoutMs: number;

  constructor(options: SecretsManagerSourceOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#client = new SecretsManagerClient(awsClientConfig(options));
  }

  async get(request: SecretRequest): Promise<SecretValue> {
    const input = request.versionId
      ? { SecretId: request.secretId, VersionId: request.versionId }
      : { SecretId: request.secretId, VersionStage: request.versionStage ?? AWSCURRENT };
    try {
      const out = await this.#client.send(new GetSecretValueCommand(input), {
        abortSignal: AbortSignal.timeout(this.#timeoutMs),
      });
      if (!out.ARN || !out.Name || !out.VersionId) {
        throw new TypeError('GetSecretValue answered without ARN, Name or VersionId');
      }
      return {
        arn: out.ARN,
        name: out.Name,
        versionId: out.VersionId,
        versionStages: out.VersionStages ?? [],
        secretString: out.SecretString,
        secretBinary:
          out.SecretString === undefined ? (out.SecretBinary ?? new Uint8Array()) : undefined,
        createdDate: out.CreatedDate?.getTime(),
      };
    } catch (err) {
      throw toSidecarError(err, {
        service: 'Secrets Manager',
        operation: 'GetSecretValue',
        subject: request.secretId,
      });
    }
  }

  async describe(secretId: string): Promise<SecretVersions> {
    try {
      const out = await this.#client.send(new DescribeSecretCommand({ SecretId: secretId }), {
        abortSignal: AbortSignal.timeout(this.#timeoutMs),
      });
      return {
        versionIdsToStages: out.VersionIdsToStages ?? {},
        deleted: out.DeletedDate !== undefined,
      };
    } catch (err) {
      throw toSidecarError(err, {
        service: 'Secrets Manager',
        operation: 'DescribeSecret',
        subject: secretId,
      });
    }
  }

  /** Releases sockets. */
  close(): void {
    this.#client.destroy();
  }
}
