/**
 * A true drop-in for AWS's Parameters and Secrets extension, against the real built layer in
 * the Lambda sandbox and moto behind a counting proxy:
 *  - functions configured with AWS's variables only (no SECRET_SIDECAR_* at all);
 *  - each AWS variable, set alone, changes behaviour as AWS documents; ours win over AWS's;
 *  - the request forms AWS documents, and the requests middy's middleware makes;
 *  - code written from Powertools Parameters' documented examples, with only the import changed;
 *  - sources stay distinct: a parameter's alias asked as a secret is a 404, file and HTTP alike.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy } from '../../../tools/fakes/fault-proxy.ts';
import { LambdaSandbox } from '../../../tools/sandbox/index.ts';
import { type BundledFunction, bundleFunction } from '../../support/bundle-function.ts';
import { canary, MotoSeed, uniqueName } from '../../support/extension/aws.ts';
import { type HttpSeen, writeTaskRoot } from '../../support/extension/handler.ts';
import { copyLayer, type LayerCopy } from '../../support/extension/layer.ts';
import { freePort } from '../../support/moto.ts';

const moto = inject('motoEndpoint');
const seed = new MotoSeed(moto);

let layer: LayerCopy;
let proxy: FaultProxy;
let rawTask: string;
let powertools: BundledFunction;
let sandbox: LambdaSandbox | undefined;

const ids = {
  secret: uniqueName('dropin'),
  json: uniqueName('dropin-json'),
  plain: `/${uniqueName('dropin')}/plain`,
  secure: `/${uniqueName('dropin')}/secure`,
  config: `/${uniqueName('dropin')}/config.json`,
};
const values = { secret: canary(), json: { apiKey: canary(), model: 'm' }, secure: canary() };

async function start(env: Record<string, string>, taskRoot = rawTask): Promise<LambdaSandbox> {
  sandbox = new LambdaSandbox({
    extensionsDir: layer.extensionsDir,
    taskRoot,
    handler: 'index.handler',
    timeoutMs: 10_000,
    env: { AWS_ENDPOINT_URL: proxy.endpoint, ...env },
  });
  await sandbox.init();
  return sandbox;
}

async function invoke<T = unknown>(event: Record<string, unknown>): Promise<T> {
  const result = await sandbox?.invoke(event);
  if (result?.status !== 'ok') throw new Error(`invoke failed: ${JSON.stringify(result)}`);
  return result.payload as T;
}

const extensionLines = () =>
  (sandbox?.output ?? []).filter((l) => l.source.startsWith('extension')).map((l) => l.line);

beforeAll(async () => {
  await seed.createSecret(ids.secret, values.secret);
  await seed.createSecret(ids.json, JSON.stringify(values.json));
  await seed.putParameter(ids.plain, 'plain-value', 'String');
  await seed.putParameter(ids.secure, values.secure, 'SecureString');
  await seed.putParameter(ids.config, '{"telemetry":true}', 'String');
  layer = await copyLayer();
  proxy = await FaultProxy.start(moto);
  rawTask = await writeTaskRoot();
  powertools = await bundleFunction('powertools-example');
}, 60_000);

afterEach(async () => {
  await sandbox?.shutdown().catch(() => undefined);
  sandbox = undefined;
  proxy.clearCalls();
});

afterAll(async () => {
  await proxy?.close();
  await layer?.remove();
  await powertools?.remove();
  seed.close();
});

describe("AWS's settings, each set alone", () => {
  it('serves on PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, where AWS-style callers look', async () => {
    const port = await freePort();
    await start({ PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(port) });
    const seen = await invoke<HttpSeen>({
      op: 'fetch',
      path: `/secretsmanager/get?secretId=${encodeURIComponent(ids.secret)}`,
    });
    expect(seen).toMatchObject({ status: 200 });
    expect(seen.json?.SecretString).toBe(values.secret);
    expect(extensionLines().some((l) => l.includes(`"port":${port}`))).toBe(true);
  });

  it('goes to AWS on every read with SECRETS_MANAGER_TTL=0', async () => {
    await start({
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(await freePort()),
      SECRETS_MANAGER_TTL: '0',
    });
    const path = `/secretsmanager/get?secretId=${encodeURIComponent(ids.secret)}`;
    await invoke({ op: 'fetch', path });
    await invoke({ op: 'fetch', path });
    expect(proxy.count('GetSecretValue', ids.secret)).toBe(2);
  });

  it('caches nothing, secrets nor parameters, with PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED=false', async () => {
    await start({
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(await freePort()),
      PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED: 'false',
    });
    for (let i = 0; i < 2; i++) {
      await invoke({
        op: 'fetch',
        path: `/secretsmanager/get?secretId=${encodeURIComponent(ids.secret)}`,
      });
      await invoke({
        op: 'fetch',
        path: `/systemsmanager/parameters/get?name=${encodeURIComponent(ids.plain)}`,
      });
    }
    expect(proxy.count('GetSecretValue', ids.secret)).toBe(2);
    expect(proxy.count('GetParameter', ids.plain)).toBe(2);
  });

  it('caches within SSM_PARAMETER_STORE_TTL and says which AWS variables it honoured', async () => {
    await start({
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(await freePort()),
      SSM_PARAMETER_STORE_TTL: '120',
    });
    const path = `/systemsmanager/parameters/get?name=${encodeURIComponent(ids.plain)}`;
    await invoke({ op: 'fetch', path });
    const second = await invoke<HttpSeen>({ op: 'fetch', path });
    expect(second.cache).toBe('hit');
    expect(proxy.count('GetParameter', ids.plain)).toBe(1);
    const line = extensionLines().find((l) =>
      l.includes('AWS Parameters and Secrets extension settings'),
    );
    expect(line).toContain('"variable":"SSM_PARAMETER_STORE_TTL","setTo":"120"');
    expect(line).toContain('parameters TTL 120 s');
  });

  it.each([
    ['debug', (lines: string[]) => lines.some((l) => l.includes('"level":"debug"'))],
    ['none', (lines: string[]) => lines.every((l) => !l.includes('"level"'))],
  ])('logs at PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL=%s', async (level, check) => {
    await start({
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(await freePort()),
      PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL: level,
    });
    // A cache-buster: its "ignored unknown query parameters" line is a debug line.
    await invoke({
      op: 'fetch',
      path: `/secretsmanager/get?secretId=${encodeURIComponent(ids.secret)}&cb=1`,
    });
    const lines = extensionLines().filter((l) => !l.includes('"_aws"'));
    expect(check(lines), lines.join('\n')).toBe(true);
  });

  it('lets SECRET_SIDECAR_HTTP_PORT win over PARAMETERS_SECRETS_EXTENSION_HTTP_PORT', async () => {
    const [ours, aws] = [await freePort(), await freePort()];
    await start({
      SECRET_SIDECAR_HTTP_PORT: String(ours),
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(aws),
    });
    expect((await invoke<HttpSeen>({ op: 'http', path: '/ping', headers: {} })).status).toBe(200);
    const line = extensionLines().find((l) =>
      l.includes('AWS Parameters and Secrets extension settings'),
    );
    expect(line).toContain('ignored: SECRET_SIDECAR_HTTP_PORT is set and wins');
  });
});

describe('requests AWS documents, and the ones middy makes', () => {
  it.each([
    ['a secret', () => `/secretsmanager/get?secretId=${encodeURIComponent(ids.secret)}`],
    [
      'a secret by stage',
      () =>
        `/secretsmanager/get?secretId=${encodeURIComponent(ids.secret)}&versionStage=AWSCURRENT`,
    ],
    [
      'the trailing-slash form',
      () => `/secretsmanager/get/?secretId=${encodeURIComponent(ids.secret)}`,
    ],
    [
      'a cache-buster',
      () => `/secretsmanager/get?secretId=${encodeURIComponent(ids.secret)}&_=${Date.now()}`,
    ],
    [
      "middy's withDecryption on a secret",
      () => `/secretsmanager/get?withDecryption=true&secretId=${encodeURI(ids.secret)}`,
    ],
    ['a parameter', () => `/systemsmanager/parameters/get?name=${encodeURIComponent(ids.plain)}`],
    [
      "middy's trailing-slash parameter",
      () => `/systemsmanager/parameters/get/?name=${encodeURI(ids.plain)}`,
    ],
    [
      'a decrypted parameter',
      () =>
        `/systemsmanager/parameters/get?name=${encodeURIComponent(ids.secure)}&withDecryption=true`,
    ],
    [
      'name:version',
      () => `/systemsmanager/parameters/get?name=${encodeURIComponent(`${ids.plain}:1`)}`,
    ],
    [
      'version with label (the first wins)',
      () =>
        `/systemsmanager/parameters/get?name=${encodeURIComponent(ids.plain)}&version=1&label=nope`,
    ],
    [
      'a secret through /aws/reference/secretsmanager',
      () =>
        `/systemsmanager/parameters/get?name=${encodeURIComponent(`/aws/reference/secretsmanager/${ids.secret}`)}&withDecryption=true`,
    ],
  ])('answers 200 to %s', async (_, path) => {
    sandbox ??= await start({ PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(await freePort()) });
    const seen = await invoke<HttpSeen>({ op: 'fetch', path: path() });
    expect(seen.status, seen.body).toBe(200);
  });
});

describe('Powertools code with only the import changed', () => {
  it("runs Powertools' documented examples against the layer", async () => {
    await start(
      { PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(await freePort()) },
      powertools.taskRoot,
    );
    const names = {
      secret: ids.secret,
      json: ids.json,
      secure: ids.secure,
      config: ids.config,
      plain: ids.plain,
      missing: `/${uniqueName('dropin')}/missing`,
    };
    expect(await invoke({ op: 'secret-json', names })).toEqual({ value: values.json });
    expect(await invoke({ op: 'parameter-decrypt', names })).toEqual({ value: values.secure });
    expect(await invoke({ op: 'batch', names })).toEqual({
      parameters: { [ids.config]: { telemetry: true }, [ids.plain]: 'plain-value' },
      errors: [names.missing],
    });
    // A rotation: the in-process cache (maxAge 5 s) still has the old value; forceFetch does not.
    expect(await invoke({ op: 'secret', names })).toEqual({ value: values.secret });
    const rotated = canary();
    await seed.putSecret(ids.secret, rotated);
    expect(await invoke({ op: 'secret', names })).toEqual({ value: values.secret });
    expect(await invoke({ op: 'secret-force', names })).toEqual({ value: rotated });
    values.secret = rotated;
  });
});

describe('sources stay distinct', () => {
  it("answers 404 to a parameter's alias asked as a secret, from the file and over HTTP", async () => {
    await start(
      {
        SECRET_SIDECAR_PARAMETERS: `shared=${ids.plain}`,
        SECRET_SIDECAR_HTTP_PORT: String(await freePort()),
      },
      powertools.taskRoot,
    );
    // The client finds shared.json, sees it is a parameter's, and asks HTTP, which says 404.
    const result = await sandbox?.invoke({ op: 'secret', names: { secret: 'shared' } });
    expect(result?.status).toBe('error');
    expect(JSON.stringify(result?.error)).toContain('GetParameterError');
    expect(JSON.stringify(result?.error)).toContain('404');
  });
});
