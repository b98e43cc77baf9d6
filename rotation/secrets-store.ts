/**
 * The Secrets Manager calls the rotation function makes, behind one small adapter.
 * Every read names a VersionStage (and a VersionId when it means one), and every
 * SDK error is wrapped exactly once into a {@link SidecarError}.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { toSidecarError } from '../shared/aws-errors.ts';
import { ErrorCode, SidecarError } from '../shared/errors.ts';

/** Staging labels Secrets Manager gives meaning to. */
export const Stage = {
  Current: 'AWSCURRENT',
  Pending: 'AWSPENDING',
  Previous: 'AWSPREVIOUS',
} as const;

/** What DescribeSecret tells the rotation function. */
export interface SecretMetadata {
  readonly arn: string;
  readonly name: string;
  /** `undefined` when the service did not say. */
  readonly rotationEnabled: boolean | undefined;
  /** Version id → staging labels (only versions that have labels). */
  readonly versions: Readonly<Record<string, readonly string[]>>;
}

/** One version's value. */
export interface SecretVersion {
  readonly versionId: string;
  readonly stages: readonly string[];
  /** The SecretString. Secret: never logged. */
  readonly value: string;
}

/** Selects a version: always by stage, optionally also by id. */
export interface VersionSelector {
  readonly stage: string;
  readonly versionId?: string;
}

/** Input to {@link SecretsStore.putPending} and {@link SecretsStore.putCurrent}. */
export interface PutInput {
  readonly token: string;
  readonly value: string;
  readonly rotationToken?: string | undefined;
}

/** Thin adapter over a real SDK v3 {@link SecretsManagerClient}. */
export class SecretsStore {
  readonly #client: SecretsManagerClient;

  constructor(client: SecretsManagerClient) {
    this.#client = client;
  }

  /** DescribeSecret. */
  async describe(secretId: string): Promise<SecretMetadata> {
    const out = await call('DescribeSecret', secretId, () =>
      this.#client.send(new DescribeSecretCommand({ SecretId: secretId })),
    );
    const versions: Record<string, readonly string[]> = {};
    for (const [id, stages] of Object.entries(out.VersionIdsToStages ?? {})) {
      if (stages && stages.length > 0) versions[id] = [...stages];
    }
    return {
      arn: out.ARN ?? secretId,
      name: out.Name ?? secretId,
      rotationEnabled: out.RotationEnabled,
      versions,
    };
  }

  /** GetSecretValue for a stage (and id). `undefined` when that version or its value does not exist. */
  async get(secretId: string, sel: VersionSelector): Promise<SecretVersion | undefined> {
    try {
      const out = await call('GetSecretValue', secretId, () =>
        this.#client.send(
          new GetSecretValueCommand({
            SecretId: secretId,
            VersionStage: sel.stage,
            ...(sel.versionId ? { VersionId: sel.versionId } : {}),
          }),
        ),
      );
      if (out.SecretString === undefined) {
        throw new SidecarError(
          ErrorCode.UpstreamRejected,
          `secret ${secretId} version ${out.VersionId ?? '?'} has no SecretString (binary secrets are not supported)`,
          { errorType: 'InvalidSecretValue' },
        );
      }
      return {
        versionId: out.VersionId ?? sel.versionId ?? '',
        stages: out.VersionStages ?? [sel.stage],
        value: out.SecretString,
      };
    } catch (err) {
      if (err instanceof SidecarError && err.code === ErrorCode.NotFound) return undefined;
      throw err;
    }
  }

  /** PutSecretValue(ClientRequestToken=token, VersionStages=[AWSPENDING]). */
  async putPending(secretId: string, input: PutInput): Promise<void> {
    await this.#put(secretId, Stage.Pending, input);
  }

  /** PutSecretValue that becomes AWSCURRENT (used for the key-pool secret; no rotation token). */
  async putCurrent(secretId: string, input: PutInput): Promise<void> {
    await this.#put(secretId, Stage.Current, { token: input.token, value: input.value });
  }

  async #put(
    secretId: string,
    stage: (typeof Stage)[keyof typeof Stage],
    input: PutInput,
  ): Promise<void> {
    await call('PutSecretValue', secretId, () =>
      this.#client.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: input.token,
          SecretString: input.value,
          VersionStages: [stage],
          ...(input.rotationToken ? { RotationToken: input.rotationToken } : {}),
        }),
      ),
    );
  }

  /** Moves AWSCURRENT to `to`, naming the version it is removed from. */
  async moveCurrent(secretId: string, to: string, from: string | undefined): Promise<void> {
    await call('UpdateSecretVersionStage', secretId, () =>
      this.#client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: Stage.Current,
          MoveToVersionId: to,
          ...(from ? { RemoveFromVersionId: from } : {}),
        }),
      ),
    );
  }
}

/** Runs one SDK call about `secretId` and wraps its failure once. */
async function call<T>(operation: string, secretId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toSidecarError(err, { service: 'Secrets Manager', operation, subject: secretId });
  }
}
