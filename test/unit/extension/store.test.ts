import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfiguredItem } from '../../../extension/config.ts';
import { type EnvelopeSink, FileSink } from '../../../extension/file-sink.ts';
import type { ParameterRequest, ParameterValue } from '../../../extension/parameter-source.ts';
import type {
  SecretRequest,
  SecretSource,
  SecretValue,
  SecretVersions,
} from '../../../extension/secret-source.ts';
import { SecretStore, type StoreConfig } from '../../../extension/store.ts';
import { ManualClock } from '../../../shared/clock.ts';
import { ErrorCode, SidecarError } from '../../../shared/errors.ts';
import { Logger } from '../../../shared/logger.ts';
import { Metrics } from '../../../shared/metrics.ts';
import { Redactor } from '../../../shared/redact.ts';

/** In-memory Secrets Manager: versions with stages, scripted failures, recorded calls. */
class FakeSecrets implements SecretSource {
  readonly values = new Map<string, { versionId: string; value: string | Uint8Array }>();
  readonly calls: string[] = [];
  failGet: SidecarError | undefined;
  failDescribe: SidecarError | undefined;
  hang = false;

  async get(r: SecretRequest): Promise<SecretValue> {
    this.calls.push(`get:${r.secretId}`);
    if (this.hang) await new Promise(() => undefined);
    if (this.failGet) throw this.failGet;
    const v = this.values.get(r.secretId);
    if (!v)
      throw new SidecarError(ErrorCode.NotFound, 'not found', {
        errorType: 'ResourceNotFoundException',
      });
    return {
      arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${r.secretId}`,
      name: r.secretId,
      versionId: v.versionId,
      versionStages: ['AWSCURRENT'],
      secretString: typeof v.value === 'string' ? v.value : undefined,
      secretBinary: typeof v.value === 'string' ? undefined : v.value,
      createdDate: 0,
    };
  }

  async describe(id: string): Promise<SecretVersions> {
    this.calls.push(`describe:${id}`);
    if (this.failDescribe) throw this.failDescribe;
    const v = this.values.get(id);
    return { versionIdsToStages: v ? { [v.versionId]: ['AWSCURRENT'] } : {}, deleted: false };
  }
}

class FakeParameters {
  readonly values = new Map<string, string>();
  type = 'SecureString';
  async get(r: ParameterRequest): Promise<ParameterValue> {
    const v = this.values.get(r.name);
    if (v === undefined)
      throw new SidecarError(ErrorCode.NotFound, 'nope', { errorType: 'ParameterNotFound' });
    return {
      name: r.name,
      type: this.type,
      value: v,
      version: 1,
      arn: `arn:aws:ssm:us-east-1:123456789012:parameter${r.name}`,
      lastModifiedDate: 0,
      dataType: 'text',
      selector: undefined,
    };
  }
}

const item = (id: string, alias?: string): ConfiguredItem => ({ id, alias, name: alias ?? id });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function setup(
  overrides: Partial<StoreConfig> = {},
  sinkOf: (s: FileSink) => EnvelopeSink = (s) => s,
) {
  const clock = new ManualClock();
  const secrets = new FakeSecrets();
  const parameters = new FakeParameters();
  const logs: string[] = [];
  const emf: string[] = [];
  const redactor = new Redactor();
  const metrics = new Metrics({ dimensions: { FunctionName: 'fn' }, sink: (l) => emf.push(l) });
  const sink = new FileSink(join(dir, 'files'));
  const store = new SecretStore({
    config: {
      secrets: [item('prod/openai', 'openai')],
      parameters: [item('/app/key', 'key')],
      secretsTtlMs: 10_000,
      parametersTtlMs: 10_000,
      secretsRefreshAheadMs: 2_000,
      parametersRefreshAheadMs: 2_000,
      maxRevalidations: 3,
      maxStaleMs: 5_000,
      cacheSize: 10,
      revalidate: true,
      ...overrides,
    },
    secretSource: secrets,
    parameterSource: parameters,
    sink: sinkOf(sink),
    clock,
    logger: new Logger({ service: 'test', sink: (l) => logs.push(l), redactor, level: 'debug' }),
    metrics,
    redactor,
    refreshAheadOnRead: false,
  });
  secrets.values.set('prod/openai', { versionId: 'v1', value: 'sk-openai-value-1' });
  parameters.values.set('/app/key', 'param-secret-value');
  return { clock, secrets, parameters, logs, emf, redactor, metrics, sink, store };
}

describe('SecretStore', () => {
  it('prefetches configured secrets and parameters into files named by alias', async () => {
    const { store, sink } = setup();
    const report = await store.prefetch(1_000);
    expect(report).toEqual({ ready: 2, failed: 0, pending: 0 });
    expect((await readdir(sink.dir)).sort()).toEqual(['key.json', 'openai.json']);
    const env = JSON.parse(await readFile(sink.pathOf('openai'), 'utf8'));
    expect(env).toMatchObject({
      source: 'secretsmanager',
      secretId: 'prod/openai',
      value: 'sk-openai-value-1',
      versionId: 'v1',
    });
  });

  it('bounds the prefetch and reports what is still loading', async () => {
    const { store, secrets } = setup();
    secrets.hang = true;
    const report = await store.prefetch(50);
    expect(report).toEqual({ ready: 1, failed: 0, pending: 1 });
  });

  it('reports a failed prefetch without throwing', async () => {
    const { store, secrets } = setup();
    secrets.failGet = new SidecarError(ErrorCode.UpstreamUnavailable, 'down');
    expect(await store.prefetch(1_000)).toEqual({ ready: 1, failed: 1, pending: 0 });
  });

  it('answers a read by alias from the prefetched entry', async () => {
    const { store, secrets } = setup();
    await store.prefetch(1_000);
    const read = await store.getSecret({ secretId: 'openai' });
    expect(read.outcome).toBe('hit');
    expect(read.entry.value.secretString).toBe('sk-openai-value-1');
    expect(secrets.calls).toEqual(['get:prod/openai']);
  });

  it('registers every fetched value with the redactor before logging', async () => {
    const { store, redactor, logs, parameters } = setup();
    parameters.values.set('/other', 'other-param-value');
    await store.prefetch(1_000);
    await store.getParameter({ name: '/other', withDecryption: true });
    expect(redactor.redactString('x sk-openai-value-1 param-secret-value other-param-value')).toBe(
      'x [REDACTED] [REDACTED] [REDACTED]',
    );
    expect(logs.join('\n')).not.toMatch(/sk-openai-value-1|param-secret-value|other-param-value/);
  });

  it('writes binary secrets base64 with binary: true', async () => {
    const { store, secrets, sink } = setup();
    secrets.values.set('prod/openai', { versionId: 'v1', value: new Uint8Array([1, 2, 3]) });
    await store.prefetch(1_000);
    const env = JSON.parse(await readFile(sink.pathOf('openai'), 'utf8'));
    expect(env).toMatchObject({ value: 'AQID', binary: true });
  });

  it('rewrites the file when a refresh finds a new version', async () => {
    const { store, secrets, sink, clock } = setup();
    await store.prefetch(1_000);
    secrets.values.set('prod/openai', { versionId: 'v2', value: 'sk-openai-value-2' });
    clock.advance(8_000);
    expect(await store.refreshDue()).toBe(2);
    const env = JSON.parse(await readFile(sink.pathOf('openai'), 'utf8'));
    expect(env).toMatchObject({
      versionId: 'v2',
      value: 'sk-openai-value-2',
      fetchedAt: clock.now(),
    });
    expect(secrets.calls).toEqual(['get:prod/openai', 'describe:prod/openai', 'get:prod/openai']);
  });

  it('re-stamps an unchanged secret with DescribeSecret instead of fetching it again', async () => {
    const { store, secrets, clock, sink } = setup();
    await store.prefetch(1_000);
    clock.advance(10_000);
    const read = await store.getSecret({ secretId: 'openai' });
    expect(read.outcome).toBe('refreshed');
    expect(secrets.calls).toEqual(['get:prod/openai', 'describe:prod/openai']);
    await store.flushWrites();
    const env = JSON.parse(await readFile(sink.pathOf('openai'), 'utf8'));
    expect(env.expiresAt).toBe(clock.now() + 10_000);
  });

  /** A sink whose writes after the prefetch wait until the test opens the gate. */
  function gatedSink() {
    let gated = false;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let started: () => void = () => undefined;
    const writeStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const wrap = (real: FileSink): EnvelopeSink => ({
      write: async (name, envelope) => {
        if (gated) {
          started();
          await gate;
        }
        await real.write(name, envelope);
      },
      remove: (name) => real.remove(name),
    });
    return { wrap, close: () => (gated = true), open, writeStarted };
  }

  it('answers a re-validated read before its re-stamp reaches the file', async () => {
    const gate = gatedSink();
    const { store, clock, sink } = setup({}, gate.wrap);
    await store.prefetch(1_000);
    gate.close();
    clock.advance(10_000);
    const read = await store.getSecret({ secretId: 'openai' });
    expect(read.outcome).toBe('refreshed');
    await gate.writeStarted;
    const before = JSON.parse(await readFile(sink.pathOf('openai'), 'utf8'));
    expect(before).toMatchObject({ versionId: 'v1', value: 'sk-openai-value-1' });
    expect(before.expiresAt).toBeLessThanOrEqual(clock.now());
    gate.open();
    await store.flushWrites();
    const after = JSON.parse(await readFile(sink.pathOf('openai'), 'utf8'));
    expect(after.expiresAt).toBe(clock.now() + 10_000);
  });

  it('answers a read that found a new version only once the file holds it', async () => {
    const gate = gatedSink();
    const { store, secrets, clock, sink } = setup({}, gate.wrap);
    await store.prefetch(1_000);
    gate.close();
    secrets.values.set('prod/openai', { versionId: 'v2', value: 'sk-openai-value-2' });
    clock.advance(10_000);
    const order: string[] = [];
    const read = store.getSecret({ secretId: 'openai' }).then((r) => {
      order.push('answered');
      return r;
    });
    await gate.writeStarted;
    order.push('file written');
    gate.open();
    expect((await read).entry.value.versionId).toBe('v2');
    expect(order).toEqual(['file written', 'answered']);
    expect(JSON.parse(await readFile(sink.pathOf('openai'), 'utf8')).versionId).toBe('v2');
  });

  it('stops revalidating once DescribeSecret is denied, and fetches instead', async () => {
    const { store, secrets, clock } = setup();
    await store.prefetch(1_000);
    secrets.failDescribe = new SidecarError(ErrorCode.AccessDenied, 'denied');
    clock.advance(10_000);
    await store.getSecret({ secretId: 'openai' });
    clock.advance(10_000);
    await store.getSecret({ secretId: 'openai' });
    expect(secrets.calls).toEqual([
      'get:prod/openai',
      'describe:prod/openai',
      'get:prod/openai',
      'get:prod/openai',
    ]);
  });

  it('removes the file of a configured secret that was deleted upstream', async () => {
    const { store, secrets, sink, clock } = setup({ revalidate: false });
    await store.prefetch(1_000);
    secrets.values.delete('prod/openai');
    clock.advance(10_000);
    await expect(store.getSecret({ secretId: 'openai' })).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
    await store.flushWrites();
    expect(await readdir(sink.dir)).toEqual(['key.json']);
  });

  it('counts hits, misses, stale answers, refreshes and errors as EMF metrics', async () => {
    const { store, secrets, clock, metrics, emf } = setup({ revalidate: false });
    await store.prefetch(1_000);
    await store.getSecret({ secretId: 'openai' });
    secrets.failGet = new SidecarError(ErrorCode.UpstreamTimeout, 'slow');
    clock.advance(10_000);
    const stale = await store.getSecret({ secretId: 'openai' });
    expect(stale.outcome).toBe('stale');
    metrics.flush();
    const line = JSON.parse(emf[0] ?? '{}');
    expect(line).toMatchObject({
      FunctionName: 'fn',
      CacheHit: 1,
      StaleServed: 1,
      Refresh: 2,
      RefreshError: 1,
    });
    expect(line._aws.CloudWatchMetrics[0].Namespace).toBe('SecretSidecar');
    expect(line._aws.CloudWatchMetrics[0].Dimensions).toEqual([['FunctionName']]);
    expect(line.UpstreamLatency).toHaveLength(3);
  });

  it('caches ids nobody configured without writing them to disk', async () => {
    const { store, secrets, sink } = setup();
    secrets.values.set('adhoc', { versionId: 'a1', value: 'adhoc-value' });
    await store.prefetch(1_000);
    await store.getSecret({ secretId: 'adhoc' });
    const again = await store.getSecret({ secretId: 'adhoc' });
    expect(again.outcome).toBe('hit');
    expect((await readdir(sink.dir)).sort()).toEqual(['key.json', 'openai.json']);
  });

  it('removes a file whose rewrite failed, so readers ask HTTP instead of trusting it', async () => {
    let failWrites = false;
    const { store, secrets, clock, sink, logs } = setup({}, (real) => ({
      write: (name, envelope) =>
        failWrites
          ? Promise.reject(new Error('ENOSPC: no space left on device'))
          : real.write(name, envelope),
      remove: (name) => real.remove(name),
    }));
    await store.prefetch(1_000);
    expect(JSON.parse(await readFile(sink.pathOf('openai'), 'utf8')).versionId).toBe('v1');
    secrets.values.set('prod/openai', { versionId: 'v2', value: 'sk-openai-value-2' });
    failWrites = true;
    clock.advance(10_000);
    const read = await store.getSecret({ secretId: 'openai' });
    expect(read.entry.value.versionId).toBe('v2');
    await expect(readFile(sink.pathOf('openai'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(logs.some((l) => l.includes('removed it so readers use HTTP'))).toBe(true);
  });

  it('writes one file per alias when two aliases name one id', async () => {
    const { store, secrets, sink } = setup({
      secrets: [item('prod/openai', 'first'), item('prod/openai', 'second')],
    });
    secrets.values.set('prod/openai', { versionId: 'v1', value: 'sk-openai-value-1' });
    await store.prefetch(1_000);
    for (const alias of ['first', 'second']) {
      expect(JSON.parse(await readFile(sink.pathOf(alias), 'utf8'))).toMatchObject({
        name: alias,
        secretId: 'prod/openai',
        value: 'sk-openai-value-1',
      });
    }
  });

  it('forgets an evicted value in the redactor, so its memory is freed', async () => {
    const { store, secrets, redactor } = setup({ cacheSize: 1 });
    secrets.values.set('other-1', { versionId: 'o1', value: 'CANARY-other-value-one' });
    secrets.values.set('other-2', { versionId: 'o2', value: 'CANARY-other-value-two' });
    await store.getSecret({ secretId: 'other-1' });
    expect(redactor.redactString('CANARY-other-value-one')).toBe('[REDACTED]');
    await store.getSecret({ secretId: 'other-2' });
    // other-1 was the least recently used ids-nobody-configured entry: evicted and released.
    expect(redactor.redactString('CANARY-other-value-one')).toBe('CANARY-other-value-one');
    expect(redactor.redactString('CANARY-other-value-two')).toBe('[REDACTED]');
  });

  it('does not register a plain String parameter (configuration, not a secret)', async () => {
    const { store, parameters, redactor } = setup();
    parameters.type = 'String';
    parameters.values.set('/app/region', 'eu-west-1-config');
    await store.getParameter({ name: '/app/region', withDecryption: false });
    expect(redactor.redactString('arn in eu-west-1-config')).toBe('arn in eu-west-1-config');
  });
});
