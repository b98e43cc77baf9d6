/**
 * The one secret every measurement reads, and the function environment that wires the
 * extension and the bench handler to it.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SidecarEnv } from '../../extension/config.ts';
import { BenchEnv } from './methods.ts';

/** Name of the bench secret (moto is fresh per run, so a fixed name is repeatable). */
export const BENCH_SECRET_ID = 'secret-sidecar-bench/provider-key';
/** Alias the extension publishes it under (`SECRET_SIDECAR_SECRETS=alias=id`). */
export const BENCH_ALIAS = 'provider';

/** A provider-key-shaped JSON secret of realistic size (fixed, so every run reads the same bytes). */
export const BENCH_SECRET_VALUE = JSON.stringify({
  provider: 'openai',
  apiKey: `sk-bench-${'x'.repeat(148)}`,
  keyId: 'key-bench-0001',
  rotatedAt: '2026-01-01T00:00:00Z',
});

/** Creates the bench secret in moto at `endpoint`. */
export async function seedSecret(endpoint: string): Promise<void> {
  const sm = new SecretsManagerClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  try {
    await sm.send(
      new CreateSecretCommand({ Name: BENCH_SECRET_ID, SecretString: BENCH_SECRET_VALUE }),
    );
  } finally {
    sm.destroy();
  }
}

/** What varies between the bench's sandboxes. */
export interface FunctionEnvOptions {
  /** AWS endpoint for every SDK client in the sandbox (moto, or the counting proxy). */
  readonly endpoint: string;
  readonly httpPort: number;
  readonly secretDir: string;
  /** Configure the bench secret in the extension (false = no secrets, pure overhead). */
  readonly withSecret?: boolean;
  readonly ttlSeconds?: number;
  /** Port of the bare baseline HTTP server, for the floor measurement. */
  readonly baselinePort?: number;
}

/** The function environment (the sandbox passes it to the runtime and the extension). */
export function functionEnv(o: FunctionEnvOptions): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: o.endpoint,
    [SidecarEnv.HttpPort]: String(o.httpPort),
    [SidecarEnv.Dir]: o.secretDir,
    [SidecarEnv.LogLevel]: 'warn',
    ...(o.withSecret === false
      ? {}
      : { [SidecarEnv.Secrets]: `${BENCH_ALIAS}=${BENCH_SECRET_ID}` }),
    ...(o.ttlSeconds === undefined ? {} : { [SidecarEnv.TtlSeconds]: String(o.ttlSeconds) }),
    ...(o.baselinePort === undefined ? {} : { [BenchEnv.BaselinePort]: String(o.baselinePort) }),
    [BenchEnv.SecretId]: BENCH_SECRET_ID,
    [BenchEnv.Alias]: BENCH_ALIAS,
  };
}
