/**
 * One stored provider secret, read by both functions through the one shared contract
 * (shared/provider-secret.ts): rotation verifies the key against `apiBaseURL` (the native
 * API), inference calls `baseURL` (the OpenAI-compatible root) with the same key. Each
 * provider's fake serves both roots from one origin, with its real paths, so the test fails
 * when the two functions disagree about which URL is which.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderClients } from '../../../inference/provider-clients.ts';
import { createRotationLogger } from '../../../rotation/audit.ts';
import { anthropicIssuer } from '../../../rotation/issuers/anthropic.ts';
import { googleIssuer } from '../../../rotation/issuers/google.ts';
import { openaiIssuer } from '../../../rotation/issuers/openai.ts';
import type { IssuerFactory } from '../../../rotation/issuers/types.ts';
import type { SecretsStore } from '../../../rotation/secrets-store.ts';
import { Metrics } from '../../../shared/metrics.ts';
import {
  apiBaseURL,
  inferenceBaseURL,
  type Provider,
  parseProviderSecret,
  serializeProviderSecret,
} from '../../../shared/provider-secret.ts';
import {
  AnthropicAdminState,
  createAnthropicAdminHandler,
} from '../../../tools/fakes/anthropic-admin.ts';
import {
  createGoogleApiKeysHandler,
  GoogleApiKeysState,
} from '../../../tools/fakes/google-apikeys.ts';
import { KeyRegistry } from '../../../tools/fakes/key-registry.ts';
import { listenLocal } from '../../../tools/fakes/local-server.ts';
import { createOpenAIAdminHandler, OpenAIAdminState } from '../../../tools/fakes/openai-admin.ts';
import { createOpenAIChatHandler } from '../../../tools/fakes/openai-chat.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => boolean;

const registry = new KeyRegistry();
const servers: { close(): Promise<void> }[] = [];

/** One origin: the provider's native API first, then its OpenAI-compatible chat API. */
async function serve(native: Handler): Promise<string> {
  const chat = createOpenAIChatHandler({ registry });
  const server = await listenLocal((req, res) => {
    if (!native(req, res) && !chat(req, res)) {
      res.writeHead(404).end();
    }
  });
  servers.push(server);
  return server.origin;
}

interface Case {
  readonly provider: Provider;
  readonly issuer: IssuerFactory;
  /** The stored secret's two roots on the fake's origin, shaped like the public ones. */
  readonly roots: (origin: string) => { baseURL: string; apiBaseURL: string };
  /** A live key at the fake: value and id. */
  readonly key: () => { apiKey: string; keyId: string };
  readonly model: string;
  origin?: string;
}

const openai = new OpenAIAdminState({ registry });
const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const google = new GoogleApiKeysState({
  registry,
  serviceAccount: { clientEmail: 'rotation@fake-project.iam.gserviceaccount.com', publicKey },
});
const anthropic = new AnthropicAdminState({ registry });

const CASES: Case[] = [
  {
    provider: 'openai',
    issuer: openaiIssuer,
    roots: (o) => ({ baseURL: `${o}/v1`, apiBaseURL: `${o}/v1` }),
    key: () => {
      const k = openai.seedKey('contract');
      return { apiKey: k.value, keyId: k.id };
    },
    model: 'gpt-4o-mini',
  },
  {
    provider: 'google',
    issuer: googleIssuer,
    // As generativelanguage.googleapis.com: /v1beta (native), /v1beta/openai/ (compatible).
    roots: (o) => ({ baseURL: `${o}/v1beta/openai/`, apiBaseURL: `${o}/v1beta` }),
    key: () => {
      const k = google.seedKey();
      return { apiKey: k.keyString, keyId: k.keyId };
    },
    model: 'gemini-2.0-flash',
  },
  {
    provider: 'anthropic',
    issuer: anthropicIssuer,
    // As api.anthropic.com: / (native, /v1/models), /v1/ (OpenAI SDK compatibility).
    roots: (o) => ({ baseURL: `${o}/v1/`, apiBaseURL: o }),
    key: () => {
      const k = anthropic.provisionKey('contract');
      return { apiKey: k.value, keyId: k.id };
    },
    model: 'claude-3-5-haiku-latest',
  },
];

beforeAll(async () => {
  const natives: Record<string, Handler> = {
    openai: createOpenAIAdminHandler(openai),
    google: createGoogleApiKeysHandler(google),
    anthropic: createAnthropicAdminHandler(anthropic),
  };
  for (const c of CASES) c.origin = await serve(natives[c.provider] as Handler);
});
afterAll(async () => {
  for (const s of servers) await s.close();
});

function issuer(factory: IssuerFactory) {
  const { logger, redactor } = createRotationLogger({ level: 'error', sink: () => undefined });
  return factory({
    adminSecret: async () => ({}),
    store: {} as SecretsStore,
    poolSecretArn: undefined,
    poolLowWatermark: 0,
    logger,
    metrics: new Metrics({ dimensions: { FunctionName: 'contract' }, sink: () => undefined }),
    redactor,
    kms: undefined,
    httpTimeoutMs: 5000,
    sleep: async () => undefined,
    now: () => Date.now(),
  });
}

describe.each(CASES)('a stored $provider secret', (c) => {
  it('is verified by rotation and used by inference, each at its own root, with one key', async () => {
    const origin = c.origin ?? '';
    const stored = serializeProviderSecret({
      provider: c.provider,
      ...c.key(),
      ...c.roots(origin),
    });

    // Rotation's testSecret check, on the parsed value.
    const forRotation = parseProviderSecret(stored, 'the stored secret');
    await expect(issuer(c.issuer).verify(forRotation)).resolves.toBeUndefined();

    // Inference's client for the same value, and one real completion through it.
    const binding = new ProviderClients({ baseURLOverride: undefined, timeoutMs: 5000 }).forSecret({
      value: stored,
      versionId: 'v1',
    } as never);
    const completion = await binding.client.chat.completions.create({
      model: c.model,
      messages: [{ role: 'user', content: 'ping' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Echo: ping');

    // The two roots are the contract's, and differ where the provider has two.
    expect(binding.baseURL).toBe(inferenceBaseURL(forRotation));
    expect(apiBaseURL(forRotation)).toBe(c.roots(origin).apiBaseURL);
    if (c.provider !== 'openai') expect(binding.baseURL).not.toBe(apiBaseURL(forRotation));
  });
});
