/**
 * The attack run's findings, against the real built extension in the Lambda sandbox
 * with moto behind a fault proxy: the largest values AWS accepts, revocation on every
 * path, one id under two aliases, temp files left by a crash, and cached reads while
 * slow ones fill the concurrency cap. Every output line is scanned for the values.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy } from '../../../tools/fakes/fault-proxy.ts';
import { LambdaSandbox } from '../../../tools/sandbox/index.ts';
import { canary, MotoSeed, uniqueName } from '../../support/extension/aws.ts';
import { type HttpSeen, writeTaskRoot } from '../../support/extension/handler.ts';
import { copyLayer, type LayerCopy } from '../../support/extension/layer.ts';
import { freePort } from '../../support/moto.ts';

const TTL_MS = 1_000;
const moto = inject('motoEndpoint');
const seed = new MotoSeed(moto);

/** A string of exactly `bytes` bytes that starts with a canary, so a leak is recognisable. */
function sized(bytes: number): string {
  const head = canary();
  return head + 'x'.repeat(bytes - head.length);
}

const ids = {
  tiny: uniqueName('hard-tiny'),
  s32k: uniqueName('hard-32k'),
  s64k: uniqueName('hard-64k'),
  b64k: uniqueName('hard-bin'),
  shared: uniqueName('hard-shared'),
  deleted: uniqueName('hard-deleted'),
  denied: uniqueName('hard-denied'),
  bypass: uniqueName('hard-bypass'),
  slowA: uniqueName('hard-slow-a'),
  slowB: uniqueName('hard-slow-b'),
  adv: `/${uniqueName('hard')}/advanced`,
};
const values = {
  tiny: 'z',
  s32k: sized(32_768),
  s64k: sized(65_536),
  b64k: Buffer.concat([Buffer.from(canary()), randomBytes(65_536 - 31)]),
  shared: canary(),
  deleted: canary(),
  denied: canary(),
  bypass: canary(),
  slow: canary(),
  adv: sized(8_192),
};
const leftover = '.tiny.json.0123456789ab.tmp';

let layer: LayerCopy;
let proxy: FaultProxy;
let sandbox: LambdaSandbox;
let taskRoot: string;
let secretDir: string;

async function invoke<T = unknown>(event: Record<string, unknown>): Promise<T> {
  const result = await sandbox.invoke(event);
  if (result.status !== 'ok') throw new Error(`invoke failed: ${JSON.stringify(result)}`);
  return result.payload as T;
}

const secretPath = (id: string, query = '') =>
  `/secretsmanager/get?secretId=${encodeURIComponent(id)}${query}`;

const http = (path: string) => invoke<HttpSeen>({ op: 'http', path });

const file = (name: string) =>
  invoke<{ envelope: Record<string, unknown>; fileMode: number }>({ op: 'file', file: name });

const exists = async (name: string) =>
  (await invoke<{ exists: boolean }>({ op: 'exists', file: name })).exists;

beforeAll(async () => {
  await seed.createSecret(ids.tiny, values.tiny);
  await seed.createSecret(ids.s32k, values.s32k);
  await seed.createSecret(ids.s64k, values.s64k);
  await seed.createSecret(ids.b64k, values.b64k);
  await seed.createSecret(ids.shared, values.shared);
  await seed.createSecret(ids.deleted, values.deleted);
  await seed.createSecret(ids.denied, values.denied);
  await seed.createSecret(ids.bypass, values.bypass);
  await seed.createSecret(ids.slowA, values.slow);
  await seed.createSecret(ids.slowB, values.slow);
  await seed.putParameter(ids.adv, values.adv, 'SecureString');
  layer = await copyLayer();
  proxy = await FaultProxy.start(moto);
  taskRoot = await writeTaskRoot();
  secretDir = join(await mkdtemp(join(tmpdir(), 'sidecar-hard-')), 'secrets');
  // What a process killed between write and rename leaves behind: a temp file with a secret.
  await mkdir(secretDir, { recursive: true, mode: 0o700 });
  await writeFile(join(secretDir, leftover), JSON.stringify({ value: values.shared }), {
    mode: 0o600,
  });
  sandbox = new LambdaSandbox({
    extensionsDir: layer.extensionsDir,
    taskRoot,
    handler: 'index.handler',
    timeoutMs: 15_000,
    env: {
      AWS_ENDPOINT_URL: proxy.endpoint,
      SECRET_SIDECAR_SECRETS: [
        `tiny=${ids.tiny}`,
        `s32k=${ids.s32k}`,
        `s64k=${ids.s64k}`,
        `b64k=${ids.b64k}`,
        `a1=${ids.shared}`,
        `a2=${ids.shared}`,
        `deleted=${ids.deleted}`,
        `denied=${ids.denied}`,
      ].join(','),
      SECRET_SIDECAR_PARAMETERS: `adv=${ids.adv}`,
      SECRET_SIDECAR_TTL_SECONDS: String(TTL_MS / 1000),
      SECRET_SIDECAR_REFRESH_AHEAD_PERCENT: '0',
      SECRET_SIDECAR_MAX_REVALIDATIONS: '1',
      SECRET_SIDECAR_MAX_CONNECTIONS: '2',
      SECRET_SIDECAR_UPSTREAM_TIMEOUT_MS: '3000',
      SECRET_SIDECAR_HTTP_PORT: String(await freePort()),
      SECRET_SIDECAR_DIR: secretDir,
      SECRET_SIDECAR_LOG_LEVEL: 'debug',
      INIT_FILE: 's64k.json',
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

describe('the extension with the values and states an attack run tried', () => {
  it('prefetches every configured value, a 64 KiB secret among them, and registers without a crash', async () => {
    expect(sandbox.failures()).toEqual([]);
    expect(sandbox.registrations()).toHaveLength(1);
    const init = await invoke<{ ok: boolean; envelope: { value: string } }>({ op: 'init' });
    expect(init.ok).toBe(true);
    expect(init.envelope.value).toBe(values.s64k);
  });

  it.each([
    ['1 byte', 'tiny', () => values.tiny],
    ['32,768 bytes', 's32k', () => values.s32k],
    ['65,536 bytes', 's64k', () => values.s64k],
  ])('serves and writes a %s secret string', async (_, alias, value) => {
    const seen = await http(secretPath(alias));
    expect(seen.status).toBe(200);
    expect(seen.json?.SecretString).toBe(value());
    const f = await file(`${alias}.json`);
    expect(f.envelope.value).toBe(value());
    expect(f.fileMode).toBe(0o600);
  });

  it('serves and writes a 65,536-byte binary secret as base64', async () => {
    const seen = await http(secretPath('b64k'));
    expect(seen.status).toBe(200);
    expect(Buffer.from(String(seen.json?.SecretBinary), 'base64').equals(values.b64k)).toBe(true);
    const f = await file('b64k.json');
    expect(f.envelope).toMatchObject({ binary: true, value: values.b64k.toString('base64') });
  });

  it('serves and writes an 8 KB advanced SecureString parameter', async () => {
    const seen = await http('/systemsmanager/parameters/get?name=adv&withDecryption=true');
    expect(seen.status).toBe(200);
    const parameter = seen.json?.Parameter as { Value?: string } | undefined;
    expect(parameter?.Value).toBe(values.adv);
    expect((await file('adv.json')).envelope).toMatchObject({ source: 'ssm', value: values.adv });
  });

  it('gives each alias of one id its own file', async () => {
    const [a1, a2] = [await file('a1.json'), await file('a2.json')];
    expect(a1.envelope).toMatchObject({ name: 'a1', secretId: ids.shared, value: values.shared });
    expect(a2.envelope).toMatchObject({ name: 'a2', secretId: ids.shared, value: values.shared });
  });

  it('removes the temp file a crashed writer left behind', async () => {
    expect(await exists(leftover)).toBe(false);
    expect(await exists('tiny.json')).toBe(true);
  });

  it('stops serving a secret once it is scheduled for deletion, and deletes its file', async () => {
    expect((await http(secretPath('deleted'))).status).toBe(200);
    await seed.scheduleDeletion(ids.deleted);
    await sandbox.idle(TTL_MS + 200);
    // DescribeSecret shows DeletedDate: refused as GetSecretValue refuses it, never re-stamped.
    const after = await http(secretPath('deleted'));
    expect(after.status).toBe(400);
    expect(after.json?.__type).toBe('InvalidRequestException');
    expect(await exists('deleted.json')).toBe(false);
    expect((await http(secretPath('deleted'))).status).toBe(400);
  });

  it('stops serving a secret whose GetSecretValue is denied within the re-validation bound', async () => {
    expect((await http(secretPath('denied'))).json?.SecretString).toBe(values.denied);
    // DescribeSecret still answers, so an expired value may be re-stamped, but at most once in a
    // row (the bound is 1): by the second expiry a full GetSecretValue has been denied.
    proxy.setMode({ kind: 'access-denied' }, { target: 'GetSecretValue', id: ids.denied });
    const answers: HttpSeen[] = [];
    for (let round = 0; round < 4; round++) {
      await sandbox.idle(TTL_MS + 200);
      answers.push(await http(secretPath('denied')));
    }
    const statuses = answers.map((a) => a.status);
    const firstDenied = statuses.indexOf(403);
    expect(firstDenied).toBeGreaterThanOrEqual(0);
    expect(firstDenied).toBeLessThanOrEqual(1);
    // Once denied, never served again: not fresh, not stale.
    expect(statuses.slice(firstDenied)).toEqual(statuses.slice(firstDenied).map(() => 403));
    expect(answers[firstDenied]?.json?.__type).toBe('AccessDeniedException');
    expect(await exists('denied.json')).toBe(false);
    expect(proxy.count('GetSecretValue', ids.denied)).toBeGreaterThanOrEqual(2);
  });

  it('serves nothing, neither fresh nor stale, after refreshNow was denied', async () => {
    expect((await http(secretPath(ids.bypass))).status).toBe(200);
    proxy.setMode({ kind: 'access-denied' }, { id: ids.bypass });
    expect((await http(secretPath(ids.bypass, '&refreshNow=true'))).status).toBe(403);
    // The value was fresh a moment ago; it must not be served now, nor once it would be stale.
    expect((await http(secretPath(ids.bypass))).status).toBe(403);
    await sandbox.idle(TTL_MS + 200);
    expect((await http(secretPath(ids.bypass))).status).toBe(403);
  });

  it('answers a cached read while slow uncached reads fill the concurrency cap', async () => {
    expect((await http(secretPath('tiny'))).status).toBe(200);
    proxy.setMode({ kind: 'delay', ms: 1_500 }, { target: 'GetSecretValue', id: 'hard-slow' });
    const [slowA, slowB, cached, over] = await invoke<HttpSeen[]>({
      op: 'concurrent',
      staggerMs: 150,
      paths: [
        secretPath(ids.slowA),
        secretPath(ids.slowB),
        secretPath('tiny'),
        secretPath(ids.slowA),
      ],
    });
    expect(cached).toMatchObject({ status: 200, cache: 'hit' });
    expect([slowA?.status, slowB?.status]).toEqual([200, 200]);
    // The fourth is uncached and finds the cap full.
    expect(over?.status).toBe(429);
  });

  it('never writes a secret value to any output line', () => {
    const output = sandbox.output.map((l) => l.line).join('\n');
    expect(output).toContain('"message":"fetched"');
    for (const v of [values.s32k, values.s64k, values.shared, values.denied, values.bypass]) {
      expect(output).not.toContain(v.slice(0, 31));
    }
    expect(output).not.toContain(values.b64k.subarray(0, 31).toString());
    expect(output).not.toContain(values.adv.slice(0, 31));
    expect(output).not.toContain(sandbox.sessionToken);
  });
});
