/**
 * Start-up behaviour of the real built extension: the launcher, a bad
 * configuration, and an upstream that cannot be reached during init.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy } from '../../../tools/fakes/fault-proxy.ts';
import { LambdaSandbox, SandboxError } from '../../../tools/sandbox/index.ts';
import { canary, MotoSeed, uniqueName } from '../../support/extension/aws.ts';
import { type HttpSeen, writeTaskRoot } from '../../support/extension/handler.ts';
import { copyLayer, type LayerCopy } from '../../support/extension/layer.ts';
import { freePort } from '../../support/moto.ts';

const moto = inject('motoEndpoint');
let layer: LayerCopy;
let scratch: string;
let poison: string;
let taskRoot: string;
const sandboxes: LambdaSandbox[] = [];

beforeAll(async () => {
  layer = await copyLayer();
  scratch = await mkdtemp(join(tmpdir(), 'sidecar-startup-'));
  taskRoot = await writeTaskRoot();
  // Loaded through NODE_OPTIONS: kills any node process running the extension bundle.
  poison = join(scratch, 'poison.cjs');
  await writeFile(
    poison,
    "if ((process.argv[1] || '').includes('secret-sidecar')) { process.stderr.write('poisoned\\n'); process.exit(42); }\n",
  );
});

afterEach(async () => {
  for (const s of sandboxes.splice(0)) await s.shutdown().catch(() => undefined);
});

afterAll(async () => {
  await layer?.remove();
  await rm(scratch, { recursive: true, force: true });
  await rm(taskRoot, { recursive: true, force: true });
});

describe('the launcher', () => {
  it('would be killed by the poisoned NODE_OPTIONS if it passed them on', () => {
    const bundle = join(layer.optDir, 'secret-sidecar/index.mjs');
    const run = spawnSync(process.execPath, [bundle], {
      env: { NODE_OPTIONS: `--require ${poison}`, PATH: process.env.PATH },
      encoding: 'utf8',
    });
    expect(run.status).toBe(42);
  });

  it('unsets NODE_OPTIONS and finds its bundle from any working directory', () => {
    const run = spawnSync(layer.launcher, [], {
      cwd: '/',
      env: { NODE_OPTIONS: `--require ${poison}`, PATH: process.env.PATH },
      encoding: 'utf8',
    });
    // It reached the bundle's own start-up check (no Lambda API here), not the poison.
    expect(run.stderr).not.toContain('poisoned');
    expect(run.stdout).toContain('AWS_LAMBDA_RUNTIME_API is not set');
    expect(run.status).toBe(1);
  });
});

describe('a bad configuration', () => {
  it('fails init with Extension.ConfigInvalid naming each bad variable', async () => {
    const sandbox = new LambdaSandbox({
      extensionsDir: layer.extensionsDir,
      taskRoot,
      handler: 'index.handler',
      env: {
        SECRET_SIDECAR_TTL_SECONDS: 'soon',
        SECRET_SIDECAR_SECRETS: 'bad alias=prod/x',
        SECRET_SIDECAR_HTTP_PORT: String(await freePort()),
      },
    });
    sandboxes.push(sandbox);
    const error = await sandbox.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxError);
    expect((error as SandboxError).errorType).toBe('Extension.ConfigInvalid');
    const reported = sandbox.failures().find((f) => f.errorType === 'Extension.ConfigInvalid');
    const body = reported?.body as { errorMessage: string; errorType: string };
    expect(body.errorType).toBe('Extension.ConfigInvalid');
    expect(body.errorMessage).toContain('SECRET_SIDECAR_TTL_SECONDS');
    expect(body.errorMessage).toContain('integer from 0 to 86400');
    expect(body.errorMessage).toContain('SECRET_SIDECAR_SECRETS');
  });
});

describe('a port already in use', () => {
  it('fails init with Extension.PortUnavailable', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as AddressInfo;
    try {
      const sandbox = new LambdaSandbox({
        extensionsDir: layer.extensionsDir,
        taskRoot,
        handler: 'index.handler',
        env: { SECRET_SIDECAR_HTTP_PORT: String(port), AWS_ENDPOINT_URL: moto },
      });
      sandboxes.push(sandbox);
      const error = await sandbox.init().catch((e: unknown) => e);
      expect((error as SandboxError).errorType).toBe('Extension.PortUnavailable');
    } finally {
      blocker.close();
    }
  });
});

describe('a concurrency cap', () => {
  it('answers 429 TooManyRequestsException beyond SECRET_SIDECAR_MAX_CONNECTIONS', async () => {
    const id = uniqueName('it-cap');
    const seed = new MotoSeed(moto);
    await seed.createSecret(id, canary());
    const proxy = await FaultProxy.start(moto);
    // Every upstream call takes 800 ms, so the first two reads stay in flight.
    proxy.setMode({ kind: 'delay', ms: 800 });
    try {
      const sandbox = new LambdaSandbox({
        extensionsDir: layer.extensionsDir,
        taskRoot,
        handler: 'index.handler',
        timeoutMs: 10_000,
        env: {
          AWS_ENDPOINT_URL: proxy.endpoint,
          SECRET_SIDECAR_MAX_CONNECTIONS: '2',
          SECRET_SIDECAR_HTTP_PORT: String(await freePort()),
          SECRET_SIDECAR_DIR: join(scratch, 'cap-files'),
        },
      });
      sandboxes.push(sandbox);
      await sandbox.init();
      const path = `/secretsmanager/get?secretId=${encodeURIComponent(id)}`;
      const reads = (await sandbox.invoke({ op: 'many', path, n: 6 })).payload as HttpSeen[];
      const statuses = reads.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 429, 429, 429, 429]);
      const refused = reads.find((r) => r.status === 429);
      expect(refused?.json).toMatchObject({ __type: 'TooManyRequestsException' });
    } finally {
      await proxy.close();
    }
  });
});

describe('an upstream unreachable at start-up', () => {
  let proxy: FaultProxy;
  let seed: MotoSeed;
  let sandbox: LambdaSandbox;
  const id = uniqueName('it-startup');
  const value = canary();
  let initMs = 0;

  beforeAll(async () => {
    seed = new MotoSeed(moto);
    await seed.createSecret(id, value);
    proxy = await FaultProxy.start(moto);
    // A black hole: connections are accepted, nothing ever answers.
    proxy.setMode({ kind: 'delay', ms: 60_000 });
    // Launched through a symlink, from a directory that is not the layer's.
    const linkedDir = join(scratch, 'linked-extensions');
    await rm(linkedDir, { recursive: true, force: true });
    await mkdir(linkedDir);
    await symlink(layer.launcher, join(linkedDir, 'secret-sidecar'));
    sandbox = new LambdaSandbox({
      extensionsDir: linkedDir,
      taskRoot,
      handler: 'index.handler',
      timeoutMs: 10_000,
      env: {
        AWS_ENDPOINT_URL: proxy.endpoint,
        NODE_OPTIONS: `--require ${poison}`,
        SECRET_SIDECAR_SECRETS: `openai=${id}`,
        SECRET_SIDECAR_EVENTS: 'SHUTDOWN',
        SECRET_SIDECAR_TTL_SECONDS: '1',
        SECRET_SIDECAR_UPSTREAM_TIMEOUT_MS: '500',
        SECRET_SIDECAR_PREFETCH_TIMEOUT_MS: '1500',
        SECRET_SIDECAR_HTTP_PORT: String(await freePort()),
        SECRET_SIDECAR_DIR: join(scratch, 'files'),
        INIT_FILE: 'openai.json',
      },
    });
    initMs = (await sandbox.init()).durationMs;
  }, 30_000);

  afterAll(async () => {
    await sandbox?.shutdown().catch(() => undefined);
    await proxy?.close();
    seed?.close();
  });

  const read = async (): Promise<HttpSeen> =>
    (
      await sandbox.invoke({
        op: 'http',
        path: `/secretsmanager/get?secretId=openai`,
      })
    ).payload as HttpSeen;

  it('still registers, for SHUTDOWN only, and init finishes within its bound', () => {
    expect(sandbox.registrations()).toEqual([
      expect.objectContaining({ name: 'secret-sidecar', events: ['SHUTDOWN'] }),
    ]);
    expect(initMs).toBeLessThan(5_000);
    expect(sandbox.output.some((l) => l.line.includes('poisoned'))).toBe(false);
  });

  it('leaves the init code without a file rather than hanging', async () => {
    const seen = (await sandbox.invoke({ op: 'init' })).payload as { ok: boolean; error: string };
    expect(seen).toEqual({ ok: false, error: 'ENOENT' });
  });

  it('answers 504 TimeoutError while AWS does not answer', async () => {
    const seen = await read();
    expect(seen.status).toBe(504);
    expect(seen.json).toMatchObject({ __type: 'TimeoutError' });
  });

  it('answers 502 ConnectionError while connections fail', async () => {
    proxy.setMode({ kind: 'reset' });
    const seen = await read();
    expect(seen.status).toBe(502);
    expect(seen.json).toMatchObject({ __type: 'ConnectionError' });
  });

  it('serves the secret, and writes its file, once AWS is reachable again', async () => {
    proxy.setMode({ kind: 'pass' });
    const seen = await read();
    expect(seen.status).toBe(200);
    expect(seen.json?.SecretString).toBe(value);
    const file = (await sandbox.invoke({ op: 'file', file: 'openai.json' })).payload as {
      envelope: { value: string };
    };
    expect(file.envelope.value).toBe(value);
  });

  it('refreshes an expired secret on read when no INVOKE events arrive', async () => {
    const next = canary();
    await seed.putSecret(id, next);
    await sandbox.idle(1_300);
    const seen = await read();
    expect(seen.cache).toBe('refreshed');
    expect(seen.json?.SecretString).toBe(next);
    expect(sandbox.output.some((l) => l.line.includes(value) || l.line.includes(next))).toBe(false);
  });
});
