/**
 * Each key issuer against its provider's fake server: real paths, headers and JSON, including
 * the providers' error responses. Admin credentials are passed as the parsed admin secret.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRotationLogger } from '../../../rotation/audit.ts';
import { anthropicIssuer } from '../../../rotation/issuers/anthropic.ts';
import { GEMINI_SERVICE, googleIssuer, TAG_ANNOTATION } from '../../../rotation/issuers/google.ts';
import { openaiIssuer } from '../../../rotation/issuers/openai.ts';
import { randomIssuer } from '../../../rotation/issuers/random.ts';
import type { IssuerDeps, IssuerFactory, KeyIssuer } from '../../../rotation/issuers/types.ts';
import { SecretsStore } from '../../../rotation/secrets-store.ts';
import { Metrics } from '../../../shared/metrics.ts';
import type { ProviderSecret } from '../../../shared/provider-secret.ts';
import {
  type AnthropicAdminServer,
  startAnthropicAdminServer,
} from '../../../tools/fakes/anthropic-admin.ts';
import {
  type GoogleApiKeysServer,
  startGoogleApiKeysServer,
} from '../../../tools/fakes/google-apikeys.ts';
import { KeyRegistry } from '../../../tools/fakes/key-registry.ts';
import {
  type OpenAIAdminServer,
  startOpenAIAdminServer,
} from '../../../tools/fakes/openai-admin.ts';
import {
  type StrictSecretsManagerServer,
  startStrictSecretsManager,
} from '../../../tools/fakes/strict-secrets-manager.ts';
import {
  anthropicAdminSecret,
  googleAdminSecret,
  googleServiceAccountKey,
  openaiAdminSecret,
  smClient,
  TEST_CREDENTIALS,
} from '../../support/rotation-harness.ts';

const registry = new KeyRegistry();
let openai: OpenAIAdminServer;
let google: GoogleApiKeysServer;
let anthropic: AnthropicAdminServer;
let sm: StrictSecretsManagerServer;
let store: SecretsStore;
const lines: string[] = [];
const metricLines: string[] = [];
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const clientEmail = 'rotation@fake-project.iam.gserviceaccount.com';

beforeAll(async () => {
  [openai, google, anthropic, sm] = await Promise.all([
    startOpenAIAdminServer({ registry }),
    startGoogleApiKeysServer({
      registry,
      serviceAccount: { clientEmail, publicKey },
      operationPolls: 3,
    }),
    startAnthropicAdminServer({ registry }),
    startStrictSecretsManager(),
  ]);
  store = new SecretsStore(smClient(sm.url));
});
afterAll(async () => {
  await Promise.all([openai.close(), google.close(), anthropic.close(), sm.close()]);
});

function build(
  factory: IssuerFactory,
  admin: Record<string, unknown>,
  extra: Partial<IssuerDeps> = {},
): KeyIssuer {
  const { logger, redactor } = createRotationLogger({ level: 'debug', sink: (l) => lines.push(l) });
  return factory({
    adminSecret: async () => admin,
    store,
    poolSecretArn: undefined,
    poolLowWatermark: 2,
    logger,
    metrics: new Metrics({ dimensions: { FunctionName: 'f' }, sink: (l) => metricLines.push(l) }),
    redactor,
    kms: undefined,
    httpTimeoutMs: 5000,
    sleep: async () => undefined,
    ...extra,
  });
}

const req = (tag: string, current: Partial<ProviderSecret> = {}) => ({
  secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf',
  token: tag.slice(-36),
  tag,
  current: { provider: 'openai', apiKey: 'old', ...current } as ProviderSecret,
});

describe('openai issuer', () => {
  const admin = () => openaiAdminSecret(openai);

  it('mints a service-account key named with the tag that the provider accepts', async () => {
    const issuer = build(openaiIssuer, admin());
    const key = await issuer.issue(req('rot-aaaa0000-11111111-2222-3333-4444-555555555555'));

    expect(openai.state.keys.get(key.keyId)?.name).toBe(
      'rot-aaaa0000-11111111-2222-3333-4444-555555555555',
    );
    await expect(
      issuer.verify({ provider: 'openai', apiKey: key.apiKey, apiBaseURL: openai.url }),
    ).resolves.toBeUndefined();
    expect(await issuer.listManaged('rot-aaaa0000-')).toEqual([
      { keyId: key.keyId, token: '11111111-2222-3333-4444-555555555555' },
    ]);
  });

  it('revokes by deleting the key, and a second revoke is not an error', async () => {
    const issuer = build(openaiIssuer, admin());
    const key = await issuer.issue(req('rot-bbbb0000-11111111-2222-3333-4444-555555555555'));

    expect(await issuer.revoke(key.keyId)).toBe('revoked');
    expect(await issuer.revoke(key.keyId)).toBe('already-revoked');
    await expect(
      issuer.verify({ provider: 'openai', apiKey: key.apiKey, apiBaseURL: openai.url }),
    ).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });

  it("reports a wrong admin key as UNAUTHORIZED with OpenAI's error code and no key text", async () => {
    const issuer = build(openaiIssuer, { ...admin(), adminKey: 'sk-admin-wrong-0000000000000000' });

    const err = await issuer.issue(req('rot-cccc0000-x')).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'UNAUTHORIZED',
      message:
        'OpenAI create service account API key answered HTTP 401 (invalid_request_error/invalid_api_key)',
    });
  });

  it('maps a 5xx to a transient UPSTREAM_UNAVAILABLE', async () => {
    const issuer = build(openaiIssuer, admin());
    openai.state.failNext('create', 502);

    await expect(issuer.issue(req('rot-dddd0000-x'))).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      transient: true,
    });
  });

  it('names every bad admin-secret field at once', async () => {
    const issuer = build(openaiIssuer, {
      adminKey: '',
      projectId: 'p/../x',
      adminBaseURL: 'file:///etc',
    });

    await expect(issuer.revoke('key_x')).rejects.toThrow(
      'the openai admin secret (ROTATION_ADMIN_SECRET_ARN) is invalid: adminKey must be a non-empty string; projectId must be an id of letters, digits, "_" or "-"; serviceAccountId must be a non-empty string; adminBaseURL must be an http:// or https:// URL when present',
    );
  });
});

describe('google issuer', () => {
  const admin = (overrides: Record<string, unknown> = {}) => ({
    ...googleAdminSecret(google, clientEmail, privatePem),
    ...overrides,
  });

  it('creates a key restricted to the Gemini API through a long-running operation and reads its string', async () => {
    const issuer = build(googleIssuer, admin());
    const tag = 'rot-eeee0000-11111111-2222-3333-4444-555555555555';

    const key = await issuer.issue(req(tag));

    const stored = google.state.keys.get(key.keyId);
    expect(stored?.restrictions).toEqual({ apiTargets: [{ service: GEMINI_SERVICE }] });
    expect(stored?.annotations[TAG_ANNOTATION]).toBe(tag);
    expect(key.apiKey).toBe(stored?.keyString);
    await expect(
      issuer.verify({ provider: 'google', apiKey: key.apiKey, apiBaseURL: `${google.url}/v1beta` }),
    ).resolves.toBeUndefined();
  });

  it('finds the key a retried attempt already created instead of creating another', async () => {
    const tag = 'rot-ffff0000-11111111-2222-3333-4444-555555555555';
    const first = await build(googleIssuer, admin()).issue(req(tag));
    const created = google.state.created;

    const again = await build(googleIssuer, admin()).issue(req(tag));

    expect(again).toEqual({ ...first, reused: true });
    expect(google.state.created).toBe(created);
  });

  it('soft-deletes on revoke and tolerates a key that is already deleted', async () => {
    const issuer = build(googleIssuer, admin());
    const key = await issuer.issue(req('rot-abab0000-11111111-2222-3333-4444-555555555555'));

    expect(await issuer.revoke(key.keyId)).toBe('revoked');
    expect(google.state.keys.get(key.keyId)?.deleteTime).toEqual(expect.any(String));
    expect(await issuer.revoke(key.keyId)).toBe('already-revoked');
    expect(await issuer.revoke('never-existed')).toBe('already-revoked');
  });

  it("treats Gemini's 400 API_KEY_INVALID as an unauthorized key", async () => {
    const issuer = build(googleIssuer, admin());

    await expect(
      issuer.verify({
        provider: 'google',
        apiKey: 'AIzaNotAKey',
        apiBaseURL: `${google.url}/v1beta`,
      }),
    ).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: expect.stringContaining('API_KEY_INVALID'),
    });
  });

  it('fails clearly when the service-account key does not match', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const issuer = build(
      googleIssuer,
      admin({
        serviceAccountKey: googleServiceAccountKey(google, clientEmail, other),
      }),
    );

    await expect(issuer.listManaged('rot-')).rejects.toMatchObject({
      code: 'UPSTREAM_REJECTED',
      message: 'Google API Keys token exchange answered HTTP 400',
    });
  });
});

describe('anthropic issuer', () => {
  async function pool(n: number): Promise<{ arn: string; ids: string[] }> {
    const keys = Array.from({ length: n }, (_, i) => anthropic.state.provisionKey(`pool-${i}`));
    const out = await smClient(sm.url).send(
      new CreateSecretCommand({
        Name: `pool-${Math.random().toString(36).slice(2)}`,
        SecretString: JSON.stringify({ keys: keys.map((k) => ({ keyId: k.id, apiKey: k.value })) }),
      }),
    );
    return { arn: out.ARN as string, ids: keys.map((k) => k.id) };
  }
  const admin = (extra: Record<string, unknown> = {}) => ({
    ...anthropicAdminSecret(anthropic),
    ...extra,
  });

  it('claims one pool key per tag, the same one on retry', async () => {
    const p = await pool(3);
    const issuer = build(anthropicIssuer, admin(), { poolSecretArn: p.arn });

    const a = await issuer.issue(req('rot-1234abcd-t1'));
    const again = await issuer.issue(req('rot-1234abcd-t1'));
    const b = await issuer.issue(req('rot-1234abcd-t2'));

    expect(a.keyId).toBe(p.ids[0]);
    expect(again).toEqual({ ...a, reused: true });
    expect(b.keyId).toBe(p.ids[1]);
    expect(await issuer.listManaged('rot-1234abcd-')).toEqual([
      { keyId: p.ids[0], token: 't1' },
      { keyId: p.ids[1], token: 't2' },
    ]);
  });

  it('reports the keys left and warns when the pool runs low', async () => {
    const p = await pool(2);
    const metrics = new Metrics({
      dimensions: { FunctionName: 'f' },
      sink: (l) => metricLines.push(l),
    });
    const issuer = build(anthropicIssuer, admin(), {
      poolSecretArn: p.arn,
      poolLowWatermark: 2,
      metrics,
    });
    const before = lines.length;
    const metricsBefore = metricLines.length;

    await issuer.issue(req('rot-5678abcd-t1'));
    metrics.flush();

    expect(lines.slice(before).map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'key pool low',
        remaining: 1,
        lowWatermark: 2,
      }),
    );
    expect(JSON.parse(metricLines[metricsBefore] as string)).toMatchObject({
      KeyPoolRemaining: 1,
      FunctionName: 'f',
    });
  });

  it('fails with a clear error when the pool is empty', async () => {
    const p = await pool(1);
    const issuer = build(anthropicIssuer, admin(), { poolSecretArn: p.arn });
    await issuer.issue(req('rot-9999abcd-t1'));

    await expect(issuer.issue(req('rot-9999abcd-t2'))).rejects.toMatchObject({
      errorType: 'KeyPoolEmpty',
      message: expect.stringContaining('add pre-provisioned keys'),
    });
  });

  it('deactivates a superseded key, removes it from the pool, and tolerates it being inactive already', async () => {
    const p = await pool(2);
    const issuer = build(anthropicIssuer, admin(), { poolSecretArn: p.arn });
    const id = p.ids[0] as string;

    expect(await issuer.revoke(id)).toBe('revoked');
    expect(anthropic.state.keys.get(id)?.status).toBe('inactive');
    expect(await issuer.revoke(id)).toBe('already-revoked');
    const left = JSON.parse(
      (
        await smClient(sm.url).send(
          new GetSecretValueCommand({ SecretId: p.arn, VersionStage: 'AWSCURRENT' }),
        )
      ).SecretString as string,
    ) as { keys: { keyId: string }[] };
    expect(left.keys.map((k) => k.keyId)).toEqual([p.ids[1]]);
  });

  it('archives instead when retireStatus is archived, and an archived key counts as revoked', async () => {
    const issuer = build(anthropicIssuer, admin({ retireStatus: 'archived' }));
    const k = anthropic.state.provisionKey('x');

    expect(await issuer.revoke(k.id)).toBe('revoked');
    expect(anthropic.state.keys.get(k.id)?.status).toBe('archived');
    expect(await issuer.revoke(k.id)).toBe('already-revoked');
    expect(await issuer.revoke('apikey_unknown')).toBe('already-revoked');
  });

  it('activates an inactive pool key in setSecret and verifies it with a real call', async () => {
    const issuer = build(anthropicIssuer, admin());
    const k = anthropic.state.provisionKey('spare', 'inactive');
    const secret = {
      provider: 'anthropic',
      apiKey: k.value,
      keyId: k.id,
      apiBaseURL: anthropic.url,
    } as const;

    await expect(issuer.verify(secret)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await issuer.activate(secret)).toBe(true);
    await expect(issuer.verify(secret)).resolves.toBeUndefined();
    expect(await issuer.activate(secret)).toBe(false);
  });

  it('refuses an archived pool key in setSecret', async () => {
    const issuer = build(anthropicIssuer, admin());
    const k = anthropic.state.provisionKey('gone', 'archived');

    await expect(
      issuer.activate({ provider: 'anthropic', apiKey: k.value, keyId: k.id }),
    ).rejects.toThrow(`Anthropic key ${k.id} cannot be used: its status is archived`);
  });

  it('reports the missing anthropic-version header as the API does', async () => {
    const res = await fetch(`${anthropic.url}/v1/organizations/api_keys`, {
      headers: { 'x-api-key': anthropic.state.adminKey },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
    });
  });
});

describe('random issuer', () => {
  it('issues 32 bytes from KMS GenerateRandom and checks their format', async () => {
    const kms = new KMSClient({
      endpoint: inject('motoEndpoint'),
      region: 'us-east-1',
      credentials: TEST_CREDENTIALS,
    });
    const issuer = build(randomIssuer, {}, { kms });

    const a = await issuer.issue(req('rot-0000aaaa-t1'));
    const b = await issuer.issue(req('rot-0000aaaa-t2'));

    expect(a.apiKey).toMatch(/^ssk_[A-Za-z0-9_-]{43}$/);
    expect(a.apiKey).not.toBe(b.apiKey);
    await expect(issuer.verify({ provider: 'random', apiKey: a.apiKey })).resolves.toBeUndefined();
    await expect(issuer.verify({ provider: 'random', apiKey: 'ssk_short' })).rejects.toMatchObject({
      errorType: 'InvalidSecretValue',
    });
    expect(await issuer.revoke(a.keyId)).toBe('already-revoked');
    kms.destroy();
  });

  it("verifies against the secret's own service when it has a baseURL", async () => {
    const kms = new KMSClient({
      endpoint: inject('motoEndpoint'),
      region: 'us-east-1',
      credentials: TEST_CREDENTIALS,
    });
    const issuer = build(randomIssuer, {}, { kms });
    const good = await issuer.issue(req('rot-0000bbbb-t1'));
    const other = await issuer.issue(req('rot-0000bbbb-t2'));
    const server = createServer((r, res) => {
      res.writeHead(r.headers.authorization === `Bearer ${good.apiKey}` ? 200 : 401, {
        'content-type': 'application/json',
      });
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/check`;

    await expect(
      issuer.verify({ provider: 'random', apiKey: good.apiKey, baseURL, apiBaseURL: baseURL }),
    ).resolves.toBeUndefined();
    await expect(
      issuer.verify({ provider: 'random', apiKey: other.apiKey, baseURL, apiBaseURL: baseURL }),
    ).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    kms.destroy();
  });
});
