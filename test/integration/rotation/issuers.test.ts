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
  GOOGLE_BOUND_ACCOUNT,
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
    now: () => Date.now(),
    ...extra,
  });
}

const REQ_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf';
const req = (tag: string, current: Partial<ProviderSecret> = {}, secretArn = REQ_ARN) => ({
  secretArn,
  token: tag.slice(-36),
  tag,
  current: { provider: 'openai', apiKey: 'old', ...current } as ProviderSecret,
});

describe('openai issuer', () => {
  const admin = () => openaiAdminSecret(openai);

  it('mints a generation: a service account named with the tag, whose key the provider accepts', async () => {
    const issuer = build(openaiIssuer, admin());
    const tag = 'rot-aaaa0000-11111111-2222-3333-4444-555555555555';
    const key = await issuer.issue(req(tag));

    expect(openai.state.serviceAccounts.get(key.keyId)?.name).toBe(tag);
    await expect(
      issuer.verify({ provider: 'openai', apiKey: key.apiKey, apiBaseURL: openai.url }),
    ).resolves.toBeUndefined();
    expect(await issuer.listManaged('rot-aaaa0000-')).toEqual([
      { keyId: key.keyId, token: '11111111-2222-3333-4444-555555555555' },
    ]);
  });

  it("revokes by deleting the generation's service account, which per-key DELETE could not do", async () => {
    const issuer = build(openaiIssuer, admin());
    const key = await issuer.issue(req('rot-bbbb0000-11111111-2222-3333-4444-555555555555'));
    const keyIds = [...(openai.state.serviceAccounts.get(key.keyId)?.keys.keys() ?? [])];
    // As openai-node and openai-python document: the per-key DELETE fails for these keys.
    const perKey = await fetch(
      `${openai.url}/organization/projects/proj_fake/api_keys/${keyIds[0]}`,
      {
        method: 'DELETE',
        headers: { authorization: `Bearer ${openai.state.adminKey}` },
      },
    );
    expect(perKey.status).toBe(400);

    expect(await issuer.revoke(key.keyId)).toBe('revoked');
    expect(await issuer.revoke(key.keyId)).toBe('already-revoked');
    expect(openai.state.deleted).toContain(key.keyId);
    await expect(
      issuer.verify({ provider: 'openai', apiKey: key.apiKey, apiBaseURL: openai.url }),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('mints keys with expires_in_seconds where a lifetime policy applies and keyExpiresInSeconds is set', async () => {
    openai.state.maxKeyLifetimeSeconds = 90 * 86_400;
    try {
      const issuer = build(openaiIssuer, { ...admin(), keyExpiresInSeconds: 60 * 86_400 });
      const key = await issuer.issue(req('rot-eeee0000-11111111-2222-3333-4444-555555555555'));
      const [minted] = [...(openai.state.serviceAccounts.get(key.keyId)?.keys.values() ?? [])];
      expect(minted?.expiresAt).toBe((minted?.createdAt ?? 0) + 60 * 86_400);
      await expect(
        issuer.verify({ provider: 'openai', apiKey: key.apiKey, apiBaseURL: openai.url }),
      ).resolves.toBeUndefined();
    } finally {
      openai.state.maxKeyLifetimeSeconds = undefined;
    }
  });

  it('names keyExpiresInSeconds when a lifetime policy leaves the new account without a key, and leaves no account behind', async () => {
    openai.state.maxKeyLifetimeSeconds = 90 * 86_400;
    try {
      const issuer = build(openaiIssuer, admin());
      const tag = 'rot-ffff0000-11111111-2222-3333-4444-555555555555';
      await expect(issuer.issue(req(tag))).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('set keyExpiresInSeconds in the openai admin secret'),
      });
      expect(openai.state.keysNamed(tag)).toEqual([]);
    } finally {
      openai.state.maxKeyLifetimeSeconds = undefined;
    }
  });

  it("reports a wrong admin key as UNAUTHORIZED with OpenAI's error code and no key text", async () => {
    const issuer = build(openaiIssuer, { ...admin(), adminKey: 'sk-admin-wrong-0000000000000000' });

    const err = await issuer.issue(req('rot-cccc0000-x')).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'UNAUTHORIZED',
      message:
        'OpenAI create service account answered HTTP 401 (invalid_request_error/invalid_api_key)',
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
      keyExpiresInSeconds: 60,
    });

    await expect(issuer.revoke('svc_acct_x')).rejects.toThrow(
      'the openai admin secret (ROTATION_ADMIN_SECRET_ARN) is invalid: adminKey must be a non-empty string; projectId must be an id of letters, digits, "_" or "-"; adminBaseURL must be an http:// or https:// URL when present; keyExpiresInSeconds must be a whole number from 14400 to 315360000 when present',
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
      code: 'CONFIG_INVALID',
      message:
        'the google admin secret (ROTATION_ADMIN_SECRET_ARN) was refused by the token endpoint (HTTP 400 invalid_grant): check serviceAccountKey',
    });
  });

  it('binds every key it mints to the configured service account', async () => {
    const key = await build(googleIssuer, admin()).issue(
      req('rot-acac0000-11111111-2222-3333-4444-555555555555'),
    );
    expect(google.state.keys.get(key.keyId)?.serviceAccountEmail).toBe(GOOGLE_BOUND_ACCOUNT);
  });

  it('refuses an admin secret without serviceAccountEmail, naming the setting', async () => {
    const { serviceAccountEmail: _, ...unbound } = admin();
    await expect(build(googleIssuer, unbound).issue(req('rot-adad0000-x'))).rejects.toThrow(
      /the google admin secret \(ROTATION_ADMIN_SECRET_ARN\) is invalid: serviceAccountEmail must be a non-empty string/,
    );
  });

  it('is refused by Gemini with a standard, unbound key', async () => {
    const unbound = google.state.seedKey(undefined, null);
    await expect(
      build(googleIssuer, admin()).verify({
        provider: 'google',
        apiKey: unbound.keyString,
        apiBaseURL: `${google.url}/v1beta`,
      }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it.each([
    [
      'the org policy that blocks binding',
      () => {
        google.state.bindingPolicyEnforced = true;
      },
      /lift the org policy iam\.managed\.disableServiceAccountApiKeyCreation for project fake-project/,
    ],
    [
      'a missing actAs on the bound account',
      () => {
        google.state.actAsDenied = true;
      },
      /grant the rotation's service account .* iam\.serviceAccounts\.actAs \(roles\/iam\.serviceAccountUser\) on gemini-caller@/,
    ],
    [
      'any other permanent operation failure',
      () => google.state.failNextOperation(3, 'INVALID_ARGUMENT', 'bad restrictions'),
      /the operation failed \(INVALID_ARGUMENT\): the request was refused: check the admin secret/,
    ],
  ])('reports %s as a configuration to fix, not an outage', async (_, arrange, message) => {
    arrange();
    try {
      const err = await build(googleIssuer, admin())
        .issue(req(`rot-aeae0000-${Math.random().toString(16).slice(2, 10)}`))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CONFIG_INVALID', transient: false });
      expect(String((err as Error).message)).toMatch(message);
    } finally {
      google.state.bindingPolicyEnforced = false;
      google.state.actAsDenied = false;
    }
  });

  it('reports a transient operation failure as retryable', async () => {
    google.state.failNextOperation(14, 'UNAVAILABLE', 'backend unavailable');
    await expect(build(googleIssuer, admin()).issue(req('rot-afaf0000-x'))).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      transient: true,
    });
  });
});

describe('anthropic issuer', () => {
  async function pool(
    n: number,
    boundTo = REQ_ARN,
    keys = Array.from({ length: n }, (_, i) => anthropic.state.provisionKey(`pool-${i}`)),
  ): Promise<{ arn: string; ids: string[] }> {
    const out = await smClient(sm.url).send(
      new CreateSecretCommand({
        Name: `pool-${Math.random().toString(36).slice(2)}`,
        SecretString: JSON.stringify({
          boundTo,
          keys: keys.map((k) => ({ keyId: k.id, apiKey: k.value })),
        }),
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

  it('records the claiming secret with the claim', async () => {
    const p = await pool(1);
    await build(anthropicIssuer, admin(), { poolSecretArn: p.arn }).issue(req('rot-1234abcd-t9'));
    const stored = await smClient(sm.url).send(
      new GetSecretValueCommand({ SecretId: p.arn, VersionStage: 'AWSCURRENT' }),
    );
    expect(JSON.parse(stored.SecretString ?? '{}')).toMatchObject({
      boundTo: REQ_ARN,
      keys: [{ keyId: p.ids[0], claimedBy: 'rot-1234abcd-t9', claimedFor: REQ_ARN }],
    });
  });

  it('refuses a pool bound to another secret, or to none, naming the field to set', async () => {
    const other = await pool(
      2,
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:other-XyZ123',
    );
    await expect(
      build(anthropicIssuer, admin(), { poolSecretArn: other.arn }).issue(req('rot-1234abcd-t3')),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(
        `serves another secret, arn:aws:secretsmanager:us-east-1:123456789012:secret:other-XyZ123; a pool serves exactly one secret: set its "boundTo" to ${REQ_ARN}`,
      ),
    });
    const unbound = await pool(1, '');
    await expect(
      build(anthropicIssuer, admin(), { poolSecretArn: unbound.arn }).issue(req('rot-1234abcd-t4')),
    ).rejects.toThrow(/serves no secret/);
  });

  it('gives two secrets rotating at once from one pool never the same key', async () => {
    const shared = await pool(3);
    const second = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:second-QwErTy';
    const results = await Promise.allSettled([
      build(anthropicIssuer, admin(), { poolSecretArn: shared.arn }).issue(req('rot-aaaa1111-t1')),
      build(anthropicIssuer, admin(), { poolSecretArn: shared.arn }).issue(
        req('rot-bbbb2222-t1', {}, second),
      ),
    ]);
    const got = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.keyId] : []));
    expect(new Set(got).size).toBe(got.length);
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: 'CONFIG_INVALID' } });
  });

  it('skips, and drops, expired and archived keys instead of claiming them', async () => {
    const expired = anthropic.state.provisionKey('old', 'active', '2026-11-01T00:00:00Z');
    const soon = anthropic.state.provisionKey(
      'soon',
      'active',
      new Date(Date.now() + 86_400_000).toISOString(),
    );
    const archived = anthropic.state.provisionKey('gone', 'archived');
    const good = anthropic.state.provisionKey('good');
    const p = await pool(0, REQ_ARN, [expired, soon, archived, good]);
    const issuer = build(anthropicIssuer, admin(), { poolSecretArn: p.arn });

    const key = await issuer.issue(req('rot-1234abcd-t5'));

    expect(key.keyId).toBe(good.id);
    const stored = await smClient(sm.url).send(
      new GetSecretValueCommand({ SecretId: p.arn, VersionStage: 'AWSCURRENT' }),
    );
    const ids = (JSON.parse(stored.SecretString ?? '{}') as { keys: { keyId: string }[] }).keys.map(
      (k) => k.keyId,
    );
    expect(ids).toEqual([good.id]);
    expect(lines.join('\n')).toContain('"message":"skipped unusable pool key"');
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
