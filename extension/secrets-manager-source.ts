/**
 * The Secrets Manager adapter of {@link SecretSource}, on the AWS SDK v3 client. Its own
 * module (and bundle chunk), so the SDK client loads only when a secret is first read.
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
import {
  AWSCURRENT,
  type SecretRequest,
  type SecretSource,
  type SecretValue,
  type SecretVersions,
} from './secret-source.ts';

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
