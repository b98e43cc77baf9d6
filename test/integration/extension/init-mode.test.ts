/**
 * SECRET_SIDECAR_INIT_MODE through the real extension, with Secrets Manager answering
 * 400 ms late (a proxy in front of moto): `before-runtime` holds the runtime back until
 * the value is fetched and written; `parallel` lets the runtime start at once (the launcher
 * registers before Node starts), the client library waits for the extension and the
 * extension's reads wait on the fetch in flight, and everything is ready by the first invoke.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy } from '../../../tools/fakes/fault-proxy.ts';
import { type InitReport, LambdaSandbox } from '../../../tools/sandbox/index.ts';
import { type BundledFunction, bundleFunction } from '../../support/bundle-function.ts';
import { canary, MotoSeed, uniqueName } from '../../support/extension/aws.ts';
import { type HttpSeen, writeTaskRoot } from '../../support/extension/handler.ts';
import { copyLayer, type LayerCopy } from '../../support/extension/layer.ts';
import { freePort } from '../../support/moto.ts';

const moto = inject('motoEndpoint');
const UPSTREAM_DELAY_MS = 400;

let layer: LayerCopy;
let scratch: string;
let taskRoot: string;
let seed: MotoSeed;
let proxy: FaultProxy;
const id = uniqueName('it-init-mode');
const value = canary();

beforeAll(async () => {
  layer = await copyLayer();
  scratch = await mkdtemp(join(tmpdir(), 'sidecar-init-mode-'));
  taskRoot = await writeTaskRoot();
  seed = new MotoSeed(moto);
  await seed.createSecret(id, value);
  proxy = await FaultProxy.start(moto);
  proxy.setMode({ kind: 'delay', ms: UPSTREAM_DELAY_MS });
});

afterAll(async () => {
  await proxy?.close();
  seed?.close();
  await layer?.remove();
  await rm(scratch, { recursive: true, force: true });
  await rm(taskRoot, { recursive: true, force: true });
});

interface Started {
  readonly sandbox: LambdaSandbox;
  readonly init: InitReport;
  /** When the first GetSecretValue reached the proxy (epoch ms). */
  readonly fetchArrivedAt: number;
  /** The GetSecretValue calls of this sandbox so far. */
  fetches(): number;
}

async function start(
  mode: string | undefined,
  folder: string,
  functionRoot = taskRoot,
): Promise<Started> {
  const before = proxy.calls.length;
  const sandbox = new LambdaSandbox({
    extensionsDir: layer.extensionsDir,
    taskRoot: functionRoot,
    handler: 'index.handler',
    env: {
      AWS_ENDPOINT_URL: proxy.endpoint,
      SECRET_SIDECAR_SECRETS: `openai=${id}`,
      ...(mode === undefined ? {} : { SECRET_SIDECAR_INIT_MODE: mode }),
      SECRET_SIDECAR_HTTP_PORT: String(await freePort()),
      SECRET_SIDECAR_DIR: join(scratch, folder),
      INIT_FILE: 'openai.json',
    },
  });
  const init = await sandbox.init();
  const call = proxy.calls.slice(before).find((c) => c.target.endsWith('GetSecretValue'));
  if (!call) throw new Error('the extension never called GetSecretValue');
  return {
    sandbox,
    init,
    fetchArrivedAt: call.at,
    fetches: () =>
      proxy.calls.slice(before).filter((c) => c.target.endsWith('GetSecretValue')).length,
  };
}

describe('the default mode, before-runtime', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start(undefined, 'default');
  }, 30_000);
  afterAll(() => s?.sandbox.shutdown());

  it('starts the runtime only once the value has been fetched', () => {
    expect(s.init.runtime.spawnedAt).toBeGreaterThanOrEqual(s.fetchArrivedAt + UPSTREAM_DELAY_MS);
  });

  it("has the file there for the function's init code", async () => {
    const atInit = (await s.sandbox.invoke({ op: 'init' })).payload as { ok: boolean };
    expect(atInit.ok).toBe(true);
  });
});

describe('the parallel mode', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start('parallel', 'parallel');
  }, 30_000);
  afterAll(() => s?.sandbox.shutdown());

  it('registers, and so lets the runtime start, while the fetch is still in flight', () => {
    expect(s.init.runtime.spawnedAt).toBeLessThan(s.fetchArrivedAt + UPSTREAM_DELAY_MS);
  });

  it('is registered by its launcher, before Node has started, and takes the registration over', () => {
    const [registration] = s.init.extensions;
    const lines = s.sandbox.output.filter((l) => l.source === 'extension:secret-sidecar');
    const first = lines[0];
    expect(registration?.registeredAt).toBeLessThanOrEqual(first?.time ?? 0);
    expect(lines.map((l) => l.line)).toContainEqual(
      expect.stringMatching(/"message":"registered".*"by":"launcher"/),
    );
  });

  it('makes exactly one upstream call for the prefetch', () => {
    expect(s.fetches()).toBe(1);
  });

  it('has the file and the cached value by the first invoke', async () => {
    const exists = (await s.sandbox.invoke({ op: 'exists', file: 'openai.json' })).payload;
    expect(exists).toEqual({ exists: true });
    const read = (
      await s.sandbox.invoke({ op: 'http', path: '/secretsmanager/get?secretId=openai' })
    ).payload as HttpSeen;
    expect(read.cache).toBe('hit');
  });
});

describe('the parallel mode, with init code reading through the client library', () => {
  let s: Started;
  let fn: BundledFunction;
  beforeAll(async () => {
    fn = await bundleFunction('init-read');
    s = await start('parallel', 'parallel-client', fn.taskRoot);
  }, 30_000);
  afterAll(async () => {
    await s?.sandbox.shutdown();
    await fn?.remove();
  });

  it('gets the value: the library waits for the extension, which waits on the fetch in flight', async () => {
    expect((await s.sandbox.invoke({})).payload).toEqual({ ok: true, value });
  });

  it('makes exactly one upstream call for the prefetch and that early read together', () => {
    expect(s.fetches()).toBe(1);
  });
});

describe('a mode that does not exist', () => {
  it('fails init naming the variable and the allowed values', async () => {
    const sandbox = new LambdaSandbox({
      extensionsDir: layer.extensionsDir,
      taskRoot,
      handler: 'index.handler',
      env: {
        AWS_ENDPOINT_URL: moto,
        SECRET_SIDECAR_INIT_MODE: 'lazy',
        SECRET_SIDECAR_HTTP_PORT: String(await freePort()),
        SECRET_SIDECAR_DIR: join(scratch, 'bad'),
      },
    });
    try {
      const error = await sandbox.init().catch((e: unknown) => e);
      expect(String((error as Error).message)).toMatch(
        /SECRET_SIDECAR_INIT_MODE must be one of before-runtime, parallel/,
      );
    } finally {
      await sandbox.shutdown();
    }
  });
});
