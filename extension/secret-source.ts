/**
 * The Secrets Manager port: what the store asks for and gets back. The AWS SDK adapter is
 * `secrets-manager-source.ts`, loaded only when a secret is first read.
 */

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
