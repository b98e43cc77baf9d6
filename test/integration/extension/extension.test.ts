/**
 * The real built extension, launched by its launcher inside the local Lambda
 * sandbox (real processes, SIGSTOP freezes), reading moto through a fault proxy.
 * One sandbox is shared; each test uses its own secrets so they stay independent.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy } from '../../../tools/fakes/fault-proxy.ts';
import { LambdaSandbox, type ShutdownReport } from '../../../tools/sandbox/index.ts';
import { canary, MotoSeed, uniqueName } from '../../support/extension/aws.ts';
import { type HttpSeen, writeTaskRoot } from '../../support/extension/handler.ts';
import { copyLayer, type LayerCopy } from '../../support/extension/layer.ts';
import { freePort } from '../../support/moto.ts';

const TTL_S = 2;
const MAX_STALE_S = 3;

const moto = inject('motoEndpoint');
const seed = new MotoSeed(moto);
const canaries: string[] = [];
const errorBodies: string[] = [];

let layer: LayerCopy;
let proxy: FaultProxy;
let sandbox: LambdaSandbox;
let taskRoot: string;
let secretDir: string;

const names = {
  openai: uniqueName('it-openai'),
  steady: uniqueName('it-steady'),
  churn: uniqueName('it-churn'),
  plain: `/${uniqueName('it')}/model`,
  secure: `/${uniqueName('it')}/key`,
};
const values = { openai: canary(), steady: canary(), churn: canary(), secure: canary() };

async function invoke<T = unknown>(event: Record<string, unknown>): Promise<T> {
  const result = await sandbox.invoke(event);
  if (result.status !== 'ok') {
    throw new Error(`invoke ${JSON.stringify(event)} failed: ${JSON.stringify(result)}`);
  }
  return result.payload as T;
}

async function http(path: string, extra: Record<string, unknown> = {}): Promise<HttpSeen> {
  const seen = await invoke<HttpSeen>({ op: 'http', path, ...extra });
  if (seen.status !== 200) errorBodies.push(seen.body);
  return seen;
}

const secretPath = (id: string, query = '') =>
  `/secretsmanager/get?secretId=${encodeURIComponent(id)}${query}`;

/** Creates a secret holding v1, reads it into the cache (v1 served), then changes it in moto to v2. */
async function cachedThenChanged(prefix: string): Promise<{ id: string; v1: string; v2: string }> {
  const id = uniqueName(prefix);
  const v1 = canary();
  const v2 = canary();
  canaries.push(v1, v2);
  await seed.createSecret(id, v1);
  expect((await http(secretPath(id))).json?.SecretString).toBe(v1);
  await seed.putSecret(id, v2);
  return { id, v1, v2 };
}

beforeAll(async () => {
  canaries.push(...Object.values(values));
  await seed.createSecret(names.openai, values.openai);
  await seed.createSecret(names.steady, values.steady);
  await seed.createSecret(names.churn, JSON.stringify({ apiKey: values.churn }));
  await seed.putParameter(names.plain, 'gpt-test-model', 'String');
  await seed.putParameter(names.secure, values.secure, 'SecureString');
  layer = await copyLayer();
  proxy = await FaultProxy.start(moto);
  taskRoot = await writeTaskRoot();
  secretDir = join(await mkdtemp(join(tmpdir(), 'sidecar-files-')), 'secrets');
  sandbox = new LambdaSandbox({
    extensionsDir: layer.extensionsDir,
    taskRoot,
    handler: 'index.handler',
    timeoutMs: 10_000,
    env: {
      AWS_ENDPOINT_URL: proxy.endpoint,
      SECRET_SIDECAR_SECRETS: `openai=${names.openai},steady=${names.steady},churn=${names.churn}`,
      SECRET_SIDECAR_PARAMETERS: `model=${names.plain},key=${names.secure}`,
      SECRET_SIDECAR_TTL_SECONDS: String(TTL_S),
      SECRET_SIDECAR_REFRESH_AHEAD_PERCENT: '50',
      SECRET_SIDECAR_MAX_STALE_SECONDS: String(MAX_STALE_S),
      SECRET_SIDECAR_UPSTREAM_TIMEOUT_MS: '600',
      SECRET_SIDECAR_HTTP_PORT: String(await freePort()),
      SECRET_SIDECAR_DIR: secretDir,
      SECRET_SIDECAR_LOG_LEVEL: 'debug',
      INIT_FILE: 'openai.json',
    },
  });
  await sandbox.init();
}, 60_000);

afterAll(async () => {
  if (sandbox) await sandbox.shutdown().catch(() => undefined);
  await proxy?.close();
  await layer?.remove();
  if (taskRoot) await rm(taskRoot, { recursive: true, force: true });
  if (secretDir) await rm(join(secretDir, '..'), { recursive: true, force: true });
  seed.close();
});

describe('secret-sidecar in the Lambda sandbox', () => {
  it('registers under its file name for INVOKE and SHUTDOWN', () => {
    expect(sandbox.registrations()).toEqual([
      expect.objectContaining({ name: 'secret-sidecar', events: ['INVOKE', 'SHUTDOWN'] }),
    ]);
  });

  it('has the prefetched secret on disk for the handler module init code', async () => {
    const seen = await invoke<{ ok: boolean; envelope: Record<string, unknown> }>({ op: 'init' });
    expect(seen.ok).toBe(true);
    expect(seen.envelope).toMatchObject({
      version: 1,
      source: 'secretsmanager',
      secretId: names.openai,
      value: values.openai,
      binary: false,
      versionStages: ['AWSCURRENT'],
    });
  });

  it('writes files 0600 inside a 0700 directory', async () => {
    const seen = await invoke<{ fileMode: number; dirMode: number }>({
      op: 'file',
      file: 'openai.json',
    });
    expect(seen.fileMode).toBe(0o600);
    expect(seen.dirMode).toBe(0o700);
  });

  it('serves a secret by alias with the GetSecretValue shape', async () => {
    const seen = await http(secretPath('openai'));
    expect(seen.status).toBe(200);
    expect(seen.json).toMatchObject({
      Name: names.openai,
      SecretString: values.openai,
      VersionStages: ['AWSCURRENT'],
      ResultMetadata: {},
    });
    expect(String(seen.json?.ARN)).toContain(names.openai);
  });

  it('serves String and SecureString parameters, decrypted, from files and HTTP', async () => {
    const plain = await http(`/systemsmanager/parameters/get?name=model`);
    expect(plain.json).toMatchObject({
      Parameter: { Name: names.plain, Type: 'String', Value: 'gpt-test-model', Version: 1 },
    });
    const secure = await http(
      `/systemsmanager/parameters/get?name=${encodeURIComponent(names.secure)}&withDecryption=true`,
    );
    expect(secure.json).toMatchObject({
      Parameter: { Name: names.secure, Type: 'SecureString', Value: values.secure },
    });
    const file = await invoke<{ envelope: Record<string, unknown> }>({
      op: 'file',
      file: 'key.json',
    });
    expect(file.envelope).toMatchObject({ source: 'ssm', value: values.secure, versionId: '1' });
  });

  it('returns the new value immediately with refreshNow', async () => {
    const { id, v1, v2 } = await cachedThenChanged('it-refresh-now');
    expect((await http(secretPath(id))).json?.SecretString).toBe(v1);
    const fresh = await http(secretPath(id, '&refreshNow=true'));
    expect(fresh.cache).toBe('bypassed');
    expect(fresh.json?.SecretString).toBe(v2);
  });

  it('serves a value changed in moto after the TTL, across a frozen idle period', async () => {
    const { id, v2 } = await cachedThenChanged('it-ttl');
    await sandbox.idle(TTL_S * 1000 + 500);
    const after = await http(secretPath(id));
    expect(after.json?.SecretString).toBe(v2);
  });

  it('makes exactly one upstream call for 50 concurrent reads of an expired secret', async () => {
    const id = uniqueName('it-flight');
    const v = canary();
    canaries.push(v);
    await seed.createSecret(id, v);
    await http(secretPath(id));
    await sandbox.idle(TTL_S * 1000 + 300);
    const before = proxy.count(undefined, id);
    const reads = await invoke<HttpSeen[]>({ op: 'many', path: secretPath(id), n: 50 });
    expect(reads.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(reads.map((r) => r.json?.SecretString))).toEqual(new Set([v]));
    expect(proxy.count(undefined, id) - before).toBe(1);
  });

  it('refreshes ahead on INVOKE so that under steady traffic no read waits on AWS', async () => {
    const next = canary();
    canaries.push(next);
    const started = Date.now();
    const before = proxy.count(undefined, names.steady);
    const outcomes: string[] = [];
    const seenValues = new Set<string>();
    let changed = false;
    while (Date.now() - started < 3_500) {
      const r = await http(secretPath('steady'));
      outcomes.push(String(r.cache));
      seenValues.add(String(r.json?.SecretString));
      if (!changed && Date.now() - started > 500) {
        await seed.putSecret(names.steady, next);
        changed = true;
      }
      await sandbox.idle(150);
    }
    // Every read was answered from memory, yet the value was refreshed upstream meanwhile.
    expect(new Set(outcomes)).toEqual(new Set(['hit']));
    expect(proxy.count(undefined, names.steady) - before).toBeGreaterThanOrEqual(1);
    expect(seenValues.has(next)).toBe(true);
    const logged = sandbox.output
      .filter((l) => l.source === 'extension:secret-sidecar' && l.line.includes('"fetched"'))
      .map((l) => JSON.parse(l.line) as { secretId?: string; reason?: string })
      .filter((l) => l.secretId === names.steady)
      .map((l) => l.reason);
    expect(logged).toContain('ahead-on-invoke');
    expect(logged.filter((r) => r !== 'miss' && r !== 'ahead-on-invoke')).toEqual([]);
  });

  it('never lets a reader see a partially written file while it is rewritten', async () => {
    const seen = await invoke<{ writes: number; reads: number; partial: number }>({
      op: 'churn',
      ms: 1_200,
      file: 'churn.json',
      refreshPath: secretPath('churn', '&refreshNow=true'),
    });
    expect(seen.writes).toBeGreaterThan(5);
    expect(seen.reads).toBeGreaterThan(5);
    expect(seen.partial).toBe(0);
  });

  it.each([
    ['a missing secretId', '/secretsmanager/get', {}, 400, 'BadRequest'],
    ['a repeated secretId', `${secretPath('openai')}&secretId=other`, {}, 400, 'BadRequest'],
    [
      'versionId with versionStage',
      `${secretPath('openai')}&versionId=a&versionStage=b`,
      {},
      400,
      'BadRequest',
    ],
    ['a bad refreshNow', `${secretPath('openai')}&refreshNow=soon`, {}, 400, 'BadRequest'],
    ['X-Forwarded-For', secretPath('openai'), { xff: true }, 400, 'BadRequest'],
    ['no token', secretPath('openai'), { headers: {} }, 401, 'Unauthorized'],
    [
      'a wrong token',
      secretPath('openai'),
      { headers: { 'X-Aws-Parameters-Secrets-Token': 'x' } },
      403,
      'Forbidden',
    ],
    [
      'an unknown secret',
      secretPath('it-does-not-exist-anywhere'),
      {},
      404,
      'ResourceNotFoundException',
    ],
    [
      'an unknown parameter name',
      '/systemsmanager/parameters/get?name=/it/none',
      {},
      404,
      'ParameterNotFound',
    ],
    ['an unknown path', '/v2/secrets', {}, 404, 'NotFound'],
    ['a POST', secretPath('openai'), { method: 'POST' }, 405, 'MethodNotAllowed'],
  ] as const)('answers %s with its error status', async (_what, path, opts, status, type) => {
    const token = sandbox.sessionToken;
    const extra: Record<string, unknown> = {};
    if ('headers' in opts) extra.headers = opts.headers;
    if ('xff' in opts) {
      extra.headers = { 'X-Aws-Parameters-Secrets-Token': token, 'X-Forwarded-For': '10.1.2.3' };
    }
    if ('method' in opts) extra.method = opts.method;
    const seen = await http(path, extra);
    expect(seen.status).toBe(status);
    expect(seen.json?.__type).toBe(type);
    expect(seen.body).not.toMatch(/\bat .*\.m?js:\d+/);
  });

  it('serves stale values on 5xx and timeouts within the bound, and errors after it', async () => {
    const down = uniqueName('it-stale-5xx');
    const slow = uniqueName('it-stale-slow');
    const v1 = canary();
    const v2 = canary();
    canaries.push(v1, v2);
    await seed.createSecret(down, v1);
    await seed.createSecret(slow, v2);
    await http(secretPath(down));
    await http(secretPath(slow));
    try {
      proxy.setMode({ kind: 'status', status: 500 }, down);
      proxy.setMode({ kind: 'delay', ms: 5_000 }, slow);
      await sandbox.idle(TTL_S * 1000 + 200);
      const stale500 = await http(secretPath(down));
      expect(stale500).toMatchObject({ status: 200, cache: 'stale' });
      expect(stale500.json?.SecretString).toBe(v1);
      const staleSlow = await http(secretPath(slow));
      expect(staleSlow).toMatchObject({ status: 200, cache: 'stale' });
      expect(staleSlow.json?.SecretString).toBe(v2);

      await sandbox.idle(MAX_STALE_S * 1000);
      const gone500 = await http(secretPath(down));
      expect(gone500.status).toBe(502);
      expect(gone500.json?.__type).toBe('InternalServiceError');
      const goneSlow = await http(secretPath(slow));
      expect(goneSlow.status).toBe(504);
      expect(goneSlow.json?.__type).toBe('TimeoutError');
    } finally {
      proxy.setMode({ kind: 'pass' });
    }
  });

  it('never serves a stale value on AccessDenied', async () => {
    const id = uniqueName('it-denied');
    const v = canary();
    canaries.push(v);
    await seed.createSecret(id, v);
    await http(secretPath(id));
    proxy.setMode({ kind: 'access-denied' }, id);
    try {
      await sandbox.idle(TTL_S * 1000 + 200);
      const seen = await http(secretPath(id));
      expect(seen.status).toBe(403);
      expect(seen.json?.__type).toBe('AccessDeniedException');
      expect(seen.body).not.toContain(v);
    } finally {
      proxy.setMode({ kind: 'pass' });
    }
  });

  describe('at the end', () => {
    let report: ShutdownReport;
    beforeAll(async () => {
      report = await sandbox.shutdown();
    });

    it('exits 0 on SHUTDOWN well within 2 s', () => {
      const ext = report.extensions.find((e) => e.name === 'secret-sidecar');
      expect(ext).toMatchObject({ exitCode: 0, signal: null, withinDeadline: true });
      expect(ext?.durationMs).toBeLessThan(2_000);
    });

    it('never wrote a secret value to any log line or error body', () => {
      const lines = sandbox.output.map((l) => l.line);
      expect(lines.some((l) => l.includes('"fetched"'))).toBe(true);
      expect(lines.some((l) => l.includes('CacheHit'))).toBe(true);
      for (const c of canaries) {
        expect(lines.filter((l) => l.includes(c))).toEqual([]);
        expect(errorBodies.filter((b) => b.includes(c))).toEqual([]);
      }
      expect(lines.filter((l) => l.includes(sandbox.sessionToken))).toEqual([]);
    });
  });
});
