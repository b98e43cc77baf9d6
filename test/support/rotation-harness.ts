/**
 * Test harness for the rotation function: a strict Secrets Manager (or moto), the three fake
 * provider servers sharing one KeyRegistry, a captured logger and metrics, a ManualClock, and
 * helpers that create a provider secret with its admin secret.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { KMSClient } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createRotationLogger } from '../../rotation/audit.ts';
import type { RotationConfig } from '../../rotation/config.ts';
import { createRotationHandler, type RotationHandler } from '../../rotation/handler.ts';
import { ManualClock } from '../../shared/clock.ts';
import { Metrics } from '../../shared/metrics.ts';
import type { Provider } from '../../shared/provider-secret.ts';
import {
  type AnthropicAdminServer,
  startAnthropicAdminServer,
} from '../../tools/fakes/anthropic-admin.ts';
import {
  type GoogleApiKeysServer,
  startGoogleApiKeysServer,
} from '../../tools/fakes/google-apikeys.ts';
import { KeyRegistry } from '../../tools/fakes/key-registry.ts';
import { type OpenAIAdminServer, startOpenAIAdminServer } from '../../tools/fakes/openai-admin.ts';
import {
  type StrictSecretsManager,
  type StrictSecretsManagerServer,
  startStrictSecretsManager,
} from '../../tools/fakes/strict-secrets-manager.ts';

/** Dummy credentials for moto and the strict model. */
export const TEST_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** The OpenAI admin secret value (`ROTATION_ADMIN_SECRET_ARN`) for the fake at `server`. */
export function openaiAdminSecret(server: OpenAIAdminServer): Record<string, unknown> {
  return {
    adminKey: server.state.adminKey,
    projectId: server.state.projectId,
    adminBaseURL: server.url,
  };
}

/** A service-account key for the fake Google at `server`, signed with `privatePem`. */
export function googleServiceAccountKey(
  server: GoogleApiKeysServer,
  clientEmail: string,
  privatePem: string,
): Record<string, unknown> {
  return { client_email: clientEmail, private_key: privatePem, token_uri: `${server.url}/token` };
}

/** The service account the tests' Google keys are bound to. */
export const GOOGLE_BOUND_ACCOUNT = 'gemini-caller@fake-project.iam.gserviceaccount.com';

/** The Google admin secret value for the fake at `server`. */
export function googleAdminSecret(
  server: GoogleApiKeysServer,
  clientEmail: string,
  privatePem: string,
): Record<string, unknown> {
  return {
    projectId: server.state.projectId,
    serviceAccountEmail: GOOGLE_BOUND_ACCOUNT,
    serviceAccountKey: googleServiceAccountKey(server, clientEmail, privatePem),
    adminBaseURL: server.url,
  };
}

/** The Anthropic admin secret value for the fake at `server`. */
export function anthropicAdminSecret(server: AnthropicAdminServer): Record<string, unknown> {
  return { adminKey: server.state.adminKey, adminBaseURL: server.url };
}

/** A real SDK client pointed at `endpoint`, without SDK retries (faults stay deterministic). */
export function smClient(endpoint: string): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
  });
}

/** A provider secret made for a test. */
export interface TestSecret {
  readonly provider: Provider;
  readonly arn: string;
  readonly name: string;
  readonly adminArn: string | undefined;
  readonly poolArn: string | undefined;
  /** The key the secret started with. */
  readonly initialKey: string;
  readonly initialKeyId: string;
}

/** Everything a rotation test needs. */
export interface RotationHarness {
  readonly client: SecretsManagerClient;
  readonly kms: KMSClient;
  readonly registry: KeyRegistry;
  readonly openai: OpenAIAdminServer;
  readonly google: GoogleApiKeysServer;
  readonly anthropic: AnthropicAdminServer;
  readonly clock: ManualClock;
  /** Every log line written by handlers built here. */
  readonly lines: string[];
  /** Every EMF line. */
  readonly metricLines: string[];
  /** Every key value and admin credential the harness created (for the canary). */
  readonly secrets: Set<string>;
  /** Time handed to `sleep` (ms). */
  slept: number;
  /** Builds a handler for `secret`'s provider. */
  handler(secret: TestSecret, config?: Partial<RotationConfig>): RotationHandler;
  /** Creates a provider secret (and admin/pool secrets) seeded with a live key. */
  createSecret(provider: Provider, options?: { poolSize?: number }): Promise<TestSecret>;
  /** Reads a stage's parsed value. */
  read(secretId: string, stage: string): Promise<Record<string, unknown>>;
  /** Audit lines (`message: 'rotation step'`), parsed. */
  audit(): Record<string, unknown>[];
  close(): Promise<void>;
}

/** A harness on the strict Secrets Manager model, and the model (stages, injected faults). */
export async function startStrictHarness(motoEndpoint: string): Promise<{
  h: RotationHarness & { strict: StrictSecretsManagerServer | undefined };
  model: StrictSecretsManager;
}> {
  const h = await startHarness({ motoEndpoint });
  if (!h.strict) throw new Error('the harness did not start the strict model');
  return { h, model: h.strict.state };
}

/** Starts the harness against `endpoint` (moto) or, when absent, a fresh strict model. */
export async function startHarness(options: {
  motoEndpoint: string;
  secretsManagerEndpoint?: string;
}): Promise<RotationHarness & { strict: StrictSecretsManagerServer | undefined }> {
  const strict = options.secretsManagerEndpoint ? undefined : await startStrictSecretsManager();
  const endpoint = options.secretsManagerEndpoint ?? (strict as StrictSecretsManagerServer).url;
  const client = smClient(endpoint);
  const kms = new KMSClient({
    endpoint: options.motoEndpoint,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
  });
  const registry = new KeyRegistry();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const clientEmail = 'rotation@fake-project.iam.gserviceaccount.com';
  const [openai, google, anthropic] = await Promise.all([
    startOpenAIAdminServer({ registry }),
    startGoogleApiKeysServer({ registry, serviceAccount: { clientEmail, publicKey } }),
    startAnthropicAdminServer({ registry }),
  ]);
  const clock = new ManualClock();
  const lines: string[] = [];
  const metricLines: string[] = [];
  const secrets = new Set<string>([openai.state.adminKey, anthropic.state.adminKey, privatePem]);

  const put = async (name: string, value: unknown): Promise<string> => {
    const out = await client.send(
      new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }),
    );
    return out.ARN as string;
  };

  const h: RotationHarness & { strict: StrictSecretsManagerServer | undefined } = {
    strict,
    client,
    kms,
    registry,
    openai,
    google,
    anthropic,
    clock,
    lines,
    metricLines,
    secrets,
    slept: 0,

    handler(secret, config = {}) {
      const { logger, redactor } = createRotationLogger({
        level: 'debug',
        sink: (l) => lines.push(l),
        now: () => clock.now(),
      });
      return createRotationHandler({
        secretsManager: client,
        kms,
        config: {
          adminSecretArn: secret.adminArn,
          keyPoolSecretArn: secret.poolArn,
          keyPoolLowWatermark: 2,
          testAttempts: 5,
          testBackoffMs: 1000,
          httpTimeoutMs: 5000,
          ...config,
        },
        logger,
        redactor,
        metrics: new Metrics({
          dimensions: { FunctionName: 'rotation-test' },
          sink: (l) => metricLines.push(l),
          now: () => clock.now(),
        }),
        clock,
        sleep: async (ms) => {
          h.slept += ms;
          clock.advance(ms);
        },
      });
    },

    async createSecret(provider, opts = {}) {
      const name = `rot-test-${provider}-${randomUUID().slice(0, 8)}`;
      let value: Record<string, unknown>;
      let admin: Record<string, unknown> | undefined;
      let pool: Record<string, unknown> | undefined;
      let initialKey: string;
      let initialKeyId: string;
      switch (provider) {
        case 'openai': {
          const k = openai.state.seedKey('initial');
          initialKey = k.value;
          initialKeyId = k.id;
          value = {
            provider,
            apiKey: k.value,
            keyId: k.id,
            baseURL: openai.url,
            apiBaseURL: openai.url,
            model: 'gpt-4o-mini',
          };
          admin = openaiAdminSecret(openai);
          break;
        }
        case 'google': {
          const k = google.state.seedKey();
          initialKey = k.keyString;
          initialKeyId = k.keyId;
          value = {
            provider,
            apiKey: k.keyString,
            keyId: k.keyId,
            apiBaseURL: `${google.url}/v1beta`,
          };
          admin = googleAdminSecret(google, clientEmail, privatePem);
          break;
        }
        case 'anthropic': {
          const k = anthropic.state.provisionKey('initial');
          initialKey = k.value;
          initialKeyId = k.id;
          value = { provider, apiKey: k.value, keyId: k.id, apiBaseURL: anthropic.url };
          admin = anthropicAdminSecret(anthropic);
          const keys = Array.from({ length: opts.poolSize ?? 4 }, (_, i) => {
            const p = anthropic.state.provisionKey(`pool-${i}`);
            secrets.add(p.value);
            return { keyId: p.id, apiKey: p.value };
          });
          pool = { keys };
          break;
        }
        case 'random': {
          initialKey = `ssk_${Buffer.alloc(32, 7).toString('base64url')}`;
          initialKeyId = 'rnd-initial';
          value = {
            provider,
            apiKey: initialKey,
            keyId: initialKeyId,
            baseURL: 'https://service.internal.example/v1',
          };
          break;
        }
      }
      secrets.add(initialKey);
      const arn = await put(name, value);
      const adminArn = admin ? await put(`${name}-admin`, admin) : undefined;
      // Each pool serves exactly one secret, as RotatedApiKey creates it.
      const poolArn = pool ? await put(`${name}-pool`, { boundTo: arn, ...pool }) : undefined;
      return { provider, arn, name, adminArn, poolArn, initialKey, initialKeyId };
    },

    async read(secretId, stage) {
      const out = await client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }),
      );
      const v = JSON.parse(out.SecretString as string) as Record<string, unknown>;
      if (typeof v.apiKey === 'string') secrets.add(v.apiKey);
      return v;
    },

    audit() {
      return lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.message === 'rotation step');
    },

    async close() {
      client.destroy();
      kms.destroy();
      await Promise.all([openai.close(), google.close(), anthropic.close(), strict?.close()]);
    },
  };
  return h;
}

/** True if the provider accepts `key` for inference right now (per the shared registry). */
export function isLive(h: RotationHarness, key: unknown): boolean {
  return typeof key === 'string' && h.registry.isValid(key);
}
