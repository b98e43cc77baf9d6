/**
 * Real AWS SDK clients pointed at the shared moto server, for seeding data.
 * Dummy credentials; unique names per test via {@link uniqueName}.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

/** Dummy credentials and region the SDK (ours and the extension's) picks up. */
export const AWS_TEST_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
} as const;

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** A name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A canary value: if it ever shows up in a log or error body, something leaked. */
export function canary(): string {
  return `CANARY-${randomBytes(12).toString('hex')}`;
}

/** Seeding helpers against moto. */
export class MotoSeed {
  readonly sm: SecretsManagerClient;
  readonly ssm: SSMClient;

  constructor(endpoint: string) {
    this.sm = new SecretsManagerClient({ endpoint, region: 'us-east-1', credentials });
    this.ssm = new SSMClient({ endpoint, region: 'us-east-1', credentials });
  }

  /** Creates a secret; returns its ARN and version id. */
  async createSecret(
    name: string,
    value: string | Uint8Array,
  ): Promise<{ arn: string; versionId: string }> {
    const out = await this.sm.send(
      new CreateSecretCommand(
        typeof value === 'string'
          ? { Name: name, SecretString: value }
          : { Name: name, SecretBinary: value },
      ),
    );
    return { arn: out.ARN ?? '', versionId: out.VersionId ?? '' };
  }

  /** Puts a new AWSCURRENT version; returns its version id. */
  async putSecret(name: string, value: string): Promise<string> {
    const out = await this.sm.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: value }),
    );
    return out.VersionId ?? '';
  }

  /** Creates or overwrites a parameter (`Advanced` tier for values over 4 KB). */
  async putParameter(
    name: string,
    value: string,
    type: 'String' | 'SecureString',
  ): Promise<number> {
    const out = await this.ssm.send(
      new PutParameterCommand({
        Name: name,
        Value: value,
        Type: type,
        Overwrite: true,
        ...(value.length > 4096 ? { Tier: 'Advanced' as const } : {}),
      }),
    );
    return out.Version ?? 0;
  }

  /** Schedules a secret for deletion (as an operator would: with a recovery window). */
  async scheduleDeletion(name: string): Promise<void> {
    await this.sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
  }

  close(): void {
    this.sm.destroy();
    this.ssm.destroy();
  }
}
