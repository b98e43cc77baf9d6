/**
 * The extension's secret store: one {@link FreshnessCache} per upstream, wired to
 * the file sink, the redactor, the logger and the metrics.
 *
 * It resolves aliases, publishes configured values to files on every refresh,
 * registers every fetched value with the redactor before anything can log it,
 * and turns cache outcomes into metrics. Lookups by ids nobody configured are
 * cached too (LRU-bounded) but never written to disk.
 */
import type { Clock } from '../shared/clock.ts';
import { ErrorCode, hasCode, type SidecarError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { MetricName, type Metrics, MetricUnit } from '../shared/metrics.ts';
import type { Redactor } from '../shared/redact.ts';
import { type CacheRead, FreshnessCache, type RefreshReason } from './cache.ts';
import type { ConfiguredItem, ExtensionConfig } from './config.ts';
import type { EnvelopeSink } from './file-sink.ts';
import type { ParameterRequest, ParameterSource, ParameterValue } from './parameter-source.ts';
import {
  AWSCURRENT,
  type SecretRequest,
  type SecretSource,
  type SecretValue,
} from './secret-source.ts';
import { parameterEnvelope, secretEnvelope } from './wire.ts';

/** The part of the configuration the store uses. */
export type StoreConfig = Pick<
  ExtensionConfig,
  'secrets' | 'parameters' | 'ttlMs' | 'refreshAheadMs' | 'maxStaleMs' | 'cacheSize' | 'revalidate'
>;

/** Options for {@link SecretStore}. */
export interface SecretStoreOptions {
  readonly config: StoreConfig;
  readonly secretSource: SecretSource;
  readonly parameterSource: ParameterSource;
  /** Where configured values are published; undefined = no files. */
  readonly sink: EnvelopeSink | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly redactor: Redactor;
  /** Refresh ahead on reads too (use when INVOKE events are not delivered). */
  readonly refreshAheadOnRead: boolean;
  /** After a transient failure, serve stale without calling upstream for this long. @default 1000 */
  readonly failureBackoffMs?: number;
}

/** Result of {@link SecretStore.prefetch}. */
export interface PrefetchReport {
  readonly ready: number;
  readonly failed: number;
  /** Still loading when the time bound hit; they finish in the background. */
  readonly pending: number;
}

/** Read options. */
export interface ReadOptions {
  /** Bypass the cache. */
  readonly refreshNow?: boolean;
}

/** Secrets and parameters, cached, published and observed. */
export class SecretStore {
  readonly #o: SecretStoreOptions;
  readonly #log: Logger;
  readonly #secrets: FreshnessCache<SecretRequest, SecretValue>;
  readonly #parameters: FreshnessCache<ParameterRequest, ParameterValue>;
  /** Configured secret name (alias or id) → item. */
  readonly #secretNames = new Map<string, ConfiguredItem>();
  readonly #parameterNames = new Map<string, ConfiguredItem>();
  /** Cache key of a configured request → the name its file is published under. */
  readonly #published = new Map<string, string>();
  /** Per-file write chains, so writes to one file land in order. */
  readonly #writes = new Map<string, Promise<void>>();
  #describeAllowed = true;

  constructor(options: SecretStoreOptions) {
    this.#o = options;
    this.#log = options.logger.child('cache');
    const c = options.config;
    const common = {
      clock: options.clock,
      ttlMs: c.ttlMs,
      refreshAheadMs: c.refreshAheadMs,
      maxStaleMs: c.maxStaleMs,
      maxEntries: c.cacheSize,
      refreshAheadOnRead: options.refreshAheadOnRead,
      ...(options.failureBackoffMs !== undefined
        ? { failureBackoffMs: options.failureBackoffMs }
        : {}),
    };
    this.#secrets = new FreshnessCache<SecretRequest, SecretValue>({
      ...common,
      keyOf: secretKey,
      load: (r, reason) => this.#loadSecret(r, reason),
      ...(c.revalidate ? { revalidate: (r, v) => this.#revalidate(r, v) } : {}),
      onStored: (r, entry) => {
        const name = this.#published.get(secretKey(r));
        if (name !== undefined) this.#publish(name, () => secretEnvelope(r.secretId, entry));
      },
      onEvicted: (r, why) => this.#evicted(secretKey(r), 'secretsmanager', r.secretId, why),
    });
    this.#parameters = new FreshnessCache<ParameterRequest, ParameterValue>({
      ...common,
      keyOf: parameterKey,
      load: (r, reason) => this.#loadParameter(r, reason),
      onStored: (r, entry) => {
        const name = this.#published.get(parameterKey(r));
        if (name !== undefined) this.#publish(name, () => parameterEnvelope(r.name, entry));
      },
      onEvicted: (r, why) => this.#evicted(parameterKey(r), 'ssm', r.name, why),
    });
    for (const item of c.secrets) {
      const request = configuredSecret(item);
      this.#secretNames.set(item.name, item);
      this.#published.set(secretKey(request), item.name);
      this.#secrets.pin(request);
    }
    for (const item of c.parameters) {
      const request = configuredParameter(item);
      this.#parameterNames.set(item.name, item);
      this.#published.set(parameterKey(request), item.name);
      this.#parameters.pin(request);
    }
  }

  /** Reads a secret by alias, configured id or any other id. */
  async getSecret(
    request: SecretRequest,
    options: ReadOptions = {},
  ): Promise<CacheRead<SecretValue>> {
    const item = this.#secretNames.get(request.secretId);
    const resolved: SecretRequest = {
      secretId: item ? item.id : request.secretId,
      versionId: request.versionId,
      versionStage: request.versionId ? undefined : (request.versionStage ?? AWSCURRENT),
    };
    const read = await this.#secrets.get(resolved, options);
    this.#observe(read, 'secretsmanager', resolved.secretId);
    await this.#fileWritten(secretKey(resolved), read);
    return read;
  }

  /** Reads a parameter by alias, configured name or any other name. */
  async getParameter(
    request: ParameterRequest,
    options: ReadOptions = {},
  ): Promise<CacheRead<ParameterValue>> {
    const item = this.#parameterNames.get(request.name);
    const resolved: ParameterRequest = { ...request, name: item ? item.id : request.name };
    const read = await this.#parameters.get(resolved, options);
    this.#observe(read, 'ssm', resolved.name);
    await this.#fileWritten(parameterKey(resolved), read);
    return read;
  }

  /**
   * Loads every configured value and writes its file, bounded by `timeoutMs`.
   * Never throws; items still loading when time is up finish in the background.
   */
  async prefetch(timeoutMs: number): Promise<PrefetchReport> {
    const status: ('pending' | 'ready' | 'failed')[] = [];
    const track = (i: number, name: string, read: () => Promise<unknown>): Promise<void> => {
      status[i] = 'pending';
      return read()
        .then(() => this.#writes.get(name))
        .then(
          () => {
            status[i] = 'ready';
          },
          () => {
            status[i] = 'failed';
          },
        );
    };
    const c = this.#o.config;
    const tasks = [
      ...c.secrets.map((s, i) => track(i, s.name, () => this.#secrets.get(configuredSecret(s)))),
      ...c.parameters.map((p, i) =>
        track(c.secrets.length + i, p.name, () => this.#parameters.get(configuredParameter(p))),
      ),
    ];
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(tasks),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    const report = {
      ready: status.filter((s) => s === 'ready').length,
      failed: status.filter((s) => s === 'failed').length,
      pending: status.filter((s) => s === 'pending').length,
    };
    this.#log.info('prefetch finished', { ...report, timeoutMs });
    return report;
  }

  /** Refreshes entries due for refresh (missing, expired or near expiry). Never throws. */
  async refreshDue(reason?: RefreshReason): Promise<number> {
    const [a, b] = await Promise.all([
      this.#secrets.refreshDue(reason),
      this.#parameters.refreshDue(reason),
    ]);
    await this.flushWrites();
    return a + b;
  }

  /** Waits for pending file writes. */
  async flushWrites(): Promise<void> {
    await Promise.all(this.#writes.values());
  }

  async #loadSecret(request: SecretRequest, reason: RefreshReason): Promise<SecretValue> {
    const value = await this.#timed('secretsmanager', request.secretId, reason, () =>
      this.#o.secretSource.get(request),
    );
    this.#o.redactor.register(value.secretString);
    if (value.secretBinary) {
      this.#o.redactor.register(Buffer.from(value.secretBinary).toString('base64'));
    }
    this.#log.info('fetched', {
      source: 'secretsmanager',
      secretId: request.secretId,
      arn: value.arn,
      versionId: value.versionId,
      versionStages: value.versionStages,
      reason,
    });
    return value;
  }

  async #loadParameter(request: ParameterRequest, reason: RefreshReason): Promise<ParameterValue> {
    const value = await this.#timed('ssm', request.name, reason, () =>
      this.#o.parameterSource.get(request),
    );
    this.#o.redactor.register(value.value);
    this.#log.info('fetched', {
      source: 'ssm',
      secretId: request.name,
      arn: value.arn,
      parameterVersion: value.version,
      reason,
    });
    return value;
  }

  /** DescribeSecret: if the cached version still holds the stage, re-stamp it. */
  async #revalidate(request: SecretRequest, cached: SecretValue): Promise<SecretValue | undefined> {
    if (!this.#describeAllowed) return undefined;
    let versions: Awaited<ReturnType<SecretSource['describe']>>;
    try {
      versions = await this.#timed('secretsmanager', request.secretId, 'expired', () =>
        this.#o.secretSource.describe(request.secretId),
      );
    } catch (err) {
      if (hasCode(err, ErrorCode.AccessDenied)) {
        this.#describeAllowed = false;
        this.#log.info('DescribeSecret is not allowed; expired secrets are fetched again instead', {
          secretId: request.secretId,
        });
        return undefined;
      }
      throw err;
    }
    const id = request.versionId ?? cached.versionId;
    const stages = versions.versionIdsToStages[id];
    if (!stages) return undefined;
    if (!request.versionId && !stages.includes(request.versionStage ?? AWSCURRENT)) {
      return undefined;
    }
    this.#log.debug('revalidated', {
      source: 'secretsmanager',
      secretId: request.secretId,
      versionId: id,
      versionStages: stages,
    });
    return { ...cached, versionStages: [...stages] };
  }

  async #timed<T>(source: string, id: string, reason: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const value = await call();
      this.#o.metrics.count(MetricName.Refresh);
      return value;
    } catch (err) {
      const e = err as SidecarError;
      this.#o.metrics.count(MetricName.RefreshError);
      this.#log.warn('upstream call failed', {
        source,
        secretId: id,
        reason,
        code: e.code,
        errorType: e.errorType,
        error: e.message,
      });
      throw err;
    } finally {
      this.#o.metrics.record(
        MetricName.UpstreamLatency,
        Math.round(performance.now() - started),
        MetricUnit.Milliseconds,
      );
    }
  }

  /** After a read that went upstream, waits until the file shows that value too. */
  async #fileWritten(key: string, read: CacheRead<unknown>): Promise<void> {
    if (read.outcome === 'hit' || read.outcome === 'stale') return;
    const name = this.#published.get(key);
    if (name !== undefined) await this.#writes.get(name);
  }

  #observe(read: CacheRead<unknown>, source: string, id: string): void {
    const m = this.#o.metrics;
    if (read.outcome === 'hit') m.count(MetricName.CacheHit);
    else if (read.outcome === 'stale') {
      m.count(MetricName.StaleServed);
      this.#log.warn('served stale value', {
        source,
        secretId: id,
        expiredForMs: this.#o.clock.now() - read.entry.expiresAt,
      });
    } else m.count(MetricName.CacheMiss);
  }

  #publish(name: string, envelope: () => ReturnType<typeof secretEnvelope>): void {
    const sink = this.#o.sink;
    if (!sink) return;
    const body = envelope();
    this.#chain(name, () => sink.write(name, body), 'could not write secret file');
  }

  #evicted(key: string, source: string, id: string, why: 'error' | 'lru'): void {
    this.#log.info('evicted', { source, secretId: id, why });
    const name = this.#published.get(key);
    const sink = this.#o.sink;
    if (name === undefined || !sink) return;
    this.#chain(name, () => sink.remove(name), 'could not remove secret file');
  }

  #chain(name: string, op: () => Promise<void>, failure: string): void {
    const next = (this.#writes.get(name) ?? Promise.resolve()).then(op).catch((err: unknown) => {
      this.#log.error(failure, { file: name, error: err });
    });
    this.#writes.set(name, next);
    next.then(
      () => {
        if (this.#writes.get(name) === next) this.#writes.delete(name);
      },
      () => undefined,
    );
  }
}

function configuredSecret(item: ConfiguredItem): SecretRequest {
  return { secretId: item.id, versionStage: AWSCURRENT };
}

function configuredParameter(item: ConfiguredItem): ParameterRequest {
  return { name: item.id, withDecryption: true };
}

/** Cache key of a secret request. */
export function secretKey(r: SecretRequest): string {
  return r.versionId
    ? `${r.secretId}\u0000id\u0000${r.versionId}`
    : `${r.secretId}\u0000stage\u0000${r.versionStage ?? AWSCURRENT}`;
}

/** Cache key of a parameter request. */
export function parameterKey(r: ParameterRequest): string {
  return `${r.name}\u0000${r.withDecryption ? 1 : 0}\u0000${r.version ?? ''}\u0000${r.label ?? ''}`;
}
