/**
 * The AWS-backed sources, each loading its SDK adapter (and so its SDK client) on first
 * use: a configuration without parameters never loads the SSM client, and in the
 * `parallel` init mode the Secrets Manager client loads after registration, while the
 * function's runtime initialises.
 */
import type { AwsSourceOptions } from './aws-client-options.ts';
import type { ParameterSource } from './parameter-source.ts';
import type { SecretSource } from './secret-source.ts';

/** A source whose adapter can be loaded ahead of its first call. */
export interface Preloadable {
  /** Loads the adapter now (idempotent); resolves when it is ready. */
  preload(): Promise<void>;
}

/** Secrets Manager, loaded on first use. */
export function lazySecretSource(options: AwsSourceOptions): SecretSource & Preloadable {
  const adapter = once(async () => {
    const { SecretsManagerSource } = await import('./secrets-manager-source.ts');
    return new SecretsManagerSource(options);
  });
  return {
    get: async (request) => (await adapter()).get(request),
    describe: async (secretId) => (await adapter()).describe(secretId),
    preload: async () => {
      await adapter();
    },
  };
}

/** Parameter Store, loaded on first use. */
export function lazyParameterSource(options: AwsSourceOptions): ParameterSource & Preloadable {
  const adapter = once(async () => {
    const { SsmParameterSource } = await import('./ssm-parameter-source.ts');
    return new SsmParameterSource(options);
  });
  return {
    get: async (request) => (await adapter()).get(request),
    preload: async () => {
      await adapter();
    },
  };
}

/** `load`, run at most once at a time; a failed load is tried again on the next call. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
    return loading;
  };
}
