/**
 * The extension's secret store: one {@link FreshnessCache} per upstream, wired to
 * the file sink, the redactor, the logger and the metrics.
 *
 * It resolves aliases, publishes configured values to files on every refresh (one
 * file per alias, even when two aliases name one id), registers every value it holds
 * with the redactor before anything can log it and releases it when the cache drops
 * it, and turns cache outcomes into metrics. Lookups by ids nobody configured are
 * cached too (LRU-bounded) but never written to disk.
 */
import type { Clock } from '../shared/clock.ts';
import { ErrorCode, hasCode, SidecarError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { MetricName, type Metrics, MetricUnit } from '../shared/metrics.ts';
import type { Redactor } from '../shared/redact.ts';
import type { SecretEnvelope } from '../shared/sidecar-protocol.ts';
import {
  type CacheEntry,
  type CacheRead,
  FreshnessCache,
  type RefreshReason,
  type StoreKind,
} from './cache.ts';
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
  | 'secrets'
  | 'parameters'
  | 'secretsTtlMs'
  | 'parametersTtlMs'
  | 'secretsRefreshAheadMs'
  | 'parametersRefreshAheadMs'
  | 'maxStaleMs'
  | 'cacheSize'
  | 'revalidate'
  | 'maxRevalidations'
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
  /** Cache key of a configured request → the names its files are published under. */
  readonly #published = new Map<string, string[]>();
  /** Per-file write chains, so writes to one file land in order. */
  readonly #writes = new Map<string, Promise<void>>();
  /** Per file, the last pending write that changes what it holds (not a re-stamp). */
  readonly #valueWrites = new Map<string, Promise<void>>();
  /** Entries stored by a re-validation: the value the files hold, with a later expiry. */
  readonly #restamps = new WeakSet<CacheEntry<unknown>>();
  /**
   * Resolved requests and cache keys, per request object. The server parses a request
   * target once and reuses its request object, so a cached read resolves no alias and
   * builds no key string again: a fresh key cost a flatten and a hash on every read
   * (callgrind, 2026-12-02).
   */
  readonly #resolvedSecret = perObject((r: SecretRequest) => this.#resolveSecretNow(r));
  readonly #resolvedParameter = perObject((r: ParameterRequest) => this.#resolveParameterNow(r));
  /** Cache keys, built once per request object (see above). */
  readonly #secretKey = perObject(secretKey);
  readonly #parameterKey = perObject(parameterKey);
  #describeAllowed = true;

  constructor(options: SecretStoreOptions) {
    this.#o = options;
    this.#log = options.logger.child('cache');
    const c = options.config;
    const common = {
      clock: options.clock,
      maxStaleMs: c.maxStaleMs,
      maxEntries: c.cacheSize,
      refreshAheadOnRead: options.refreshAheadOnRead,
      maxRevalidations: c.maxRevalidations,
      ...(options.failureBackoffMs !== undefined
        ? { failureBackoffMs: options.failureBackoffMs }
        : {}),
    };
    this.#secrets = new FreshnessCache<SecretRequest, SecretValue>({
      ...common,
      ttlMs: c.secretsTtlMs,
      refreshAheadMs: c.secretsRefreshAheadMs,
      keyOf: this.#secretKey,
      load: (r, reason) => this.#loadSecret(r, reason),
      // TTL 0 means no caching, as AWS's extension has it: every read fetches the value itself.
      ...(c.revalidate && c.secretsTtlMs > 0
        ? { revalidate: (r, v) => this.#revalidate(r, v) }
        : {}),
      onStored: (r, entry, kind, replaced) => {
        this.#hold(secretMaterial(entry.value), replaced && secretMaterial(replaced));
        if (kind === 'revalidated') this.#restamps.add(entry);
        this.#publishAll(this.#secretKey(r), kind, (name) =>
          secretEnvelope(r.secretId, name, entry),
        );
      },
      onEvicted: (r, why, value) => {
        this.#hold(undefined, value && secretMaterial(value));
        this.#evicted(this.#secretKey(r), 'secretsmanager', r.secretId, why);
      },
    });
    this.#parameters = new FreshnessCache<ParameterRequest, ParameterValue>({
      ...common,
      ttlMs: c.parametersTtlMs,
      refreshAheadMs: c.parametersRefreshAheadMs,
      keyOf: this.#parameterKey,
      load: (r, reason) => this.#loadParameter(r, reason),
      onStored: (r, entry, kind, replaced) => {
        this.#hold(parameterMaterial(entry.value), replaced && parameterMaterial(replaced));
        this.#publishAll(this.#parameterKey(r), kind, (name) =>
          parameterEnvelope(r.name, name, entry),
        );
      },
      onEvicted: (r, why, value) => {
        this.#hold(undefined, value && parameterMaterial(value));
        this.#evicted(this.#parameterKey(r), 'ssm', r.name, why);
      },
    });
    for (const item of c.secrets) {
      const request = configuredSecret(item);
      this.#secretNames.set(item.name, item);
      this.#addPublished(this.#secretKey(request), item.name);
      this.#secrets.pin(request);
    }
    for (const item of c.parameters) {
      const request = configuredParameter(item);
      this.#parameterNames.set(item.name, item);
      this.#addPublished(this.#parameterKey(request), item.name);
      this.#parameters.pin(request);
    }
  }

  /** Reads a secret by alias, configured id or any other id. */
  async getSecret(
    request: SecretRequest,
    options: ReadOptions = {},
  ): Promise<CacheRead<SecretValue>> {
    const resolved = this.#resolvedSecret(request);
    const read = await this.#secrets.get(resolved, options);
    this.#observe(read, 'secretsmanager', resolved.secretId);
    await this.#fileWritten(this.#secretKey(resolved), read);
    return read;
  }

  /**
   * A fresh cached secret, without waiting on anything (no upstream call, no lock):
   * the server answers these outside its concurrency cap. Undefined when not fresh.
   */
  peekFreshSecret(request: SecretRequest): CacheEntry<SecretValue> | undefined {
    const entry = this.#secrets.peekFresh(this.#resolvedSecret(request));
    if (entry) this.#o.metrics.count(MetricName.CacheHit);
    return entry;
  }

  /** Reads a parameter by alias, configured name or any other name. */
  async getParameter(
    request: ParameterRequest,
    options: ReadOptions = {},
  ): Promise<CacheRead<ParameterValue>> {
    const resolved = this.#resolvedParameter(request);
    const read = await this.#parameters.get(resolved, options);
    this.#observe(read, 'ssm', resolved.name);
    await this.#fileWritten(this.#parameterKey(resolved), read);
    return read;
  }

  /** A fresh cached parameter, without waiting on anything; undefined when not fresh. */
  peekFreshParameter(request: ParameterRequest): CacheEntry<ParameterValue> | undefined {
    const entry = this.#parameters.peekFresh(this.#resolvedParameter(request));
    if (entry) this.#o.metrics.count(MetricName.CacheHit);
    return entry;
  }

  /**
   * Loads every configured value and writes its files, bounded by `timeoutMs`.
   * Never throws; items still loading when time is up finish in the background.
   */
  async prefetch(timeoutMs: number): Promise<PrefetchReport> {
    const status: ('pending' | 'ready' | 'failed')[] = [];
    const track = (i: number, key: string, read: () => Promise<unknown>): Promise<void> => {
      status[i] = 'pending';
      return read()
        .then(() => this.#writesOf(key))
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
      ...c.secrets.map((s, i) => {
        const r = configuredSecret(s);
        return track(i, this.#secretKey(r), () => this.#secrets.get(r));
      }),
      ...c.parameters.map((p, i) => {
        const r = configuredParameter(p);
        return track(c.secrets.length + i, this.#parameterKey(r), () => this.#parameters.get(r));
      }),
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

  #resolveSecretNow(request: SecretRequest): SecretRequest {
    const item = this.#secretNames.get(request.secretId);
    return {
      secretId: item ? item.id : request.secretId,
      versionId: request.versionId,
      versionStage: request.versionId ? undefined : (request.versionStage ?? AWSCURRENT),
    };
  }

  #resolveParameterNow(request: ParameterRequest): ParameterRequest {
    const item = this.#parameterNames.get(request.name);
    return { ...request, name: item ? item.id : request.name };
  }

  async #loadSecret(request: SecretRequest, reason: RefreshReason): Promise<SecretValue> {
    const value = await this.#timed('secretsmanager', request.secretId, reason, () =>
      this.#o.secretSource.get(request),
    );
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
    this.#log.info('fetched', {
      source: 'ssm',
      secretId: request.name,
      arn: value.arn,
      parameterVersion: value.version,
      reason,
    });
    return value;
  }

  /**
   * DescribeSecret: if the cached version still holds the stage, re-stamp it. A secret
   * scheduled for deletion is refused as GetSecretValue would refuse it: AWS no longer
   * serves it, so neither do we.
   */
  async #revalidate(request: SecretRequest, cached: SecretValue): Promise<SecretValue | undefined> {
    if (!this.#describeAllowed) return undefined;
    let versions: Awaited<ReturnType<SecretSource['describe']>>;
    try {
      versions = await this.#timed('secretsmanager', request.secretId, 'expired', () =>
        this.#o.secretSource.describe(request.secretId),
      );
    } catch (err) {
      if (hasCode(err, ErrorCode.AccessDenied)) {
        // DescribeSecret may be denied while GetSecretValue is allowed: fetch instead.
        this.#describeAllowed = false;
        this.#log.info('DescribeSecret is not allowed; expired secrets are fetched again instead', {
          secretId: request.secretId,
        });
        return undefined;
      }
      throw err;
    }
    if (versions.deleted) {
      // What GetSecretValue answers for it too.
      throw new SidecarError(
        ErrorCode.UpstreamRejected,
        `Secrets Manager ${JSON.stringify(request.secretId)} is scheduled for deletion`,
        { errorType: 'InvalidRequestException' },
      );
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

  /** Registers what a value must mask, and releases what the value it replaced held. */
  #hold(next: string | undefined, previous: string | undefined): void {
    if (next !== undefined) this.#o.redactor.register(next);
    if (previous !== undefined) this.#o.redactor.release(previous);
  }

  /**
   * After a read that went upstream, waits until the files show that value too. A
   * re-validated value is the one the files already hold, only with a later expiry, so
   * such a read waits for no re-stamp, only for a new value still being written: a reader
   * that meanwhile finds the old stamp gets the same value, or sees it expired and asks
   * over HTTP.
   */
  async #fileWritten(key: string, read: CacheRead<unknown>): Promise<void> {
    if (read.outcome === 'hit' || read.outcome === 'stale') return;
    await this.#writesOf(key, this.#restamps.has(read.entry) ? this.#valueWrites : this.#writes);
  }

  #writesOf(key: string, pending = this.#writes): Promise<unknown> {
    return Promise.all((this.#published.get(key) ?? []).map((name) => pending.get(name)));
  }

  #addPublished(key: string, name: string): void {
    const names = this.#published.get(key);
    if (names) names.push(name);
    else this.#published.set(key, [name]);
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

  #publishAll(key: string, kind: StoreKind, envelope: (name: string) => SecretEnvelope): void {
    const sink = this.#o.sink;
    if (!sink) return;
    for (const name of this.#published.get(key) ?? []) {
      const body = envelope(name);
      this.#chain(
        name,
        async () => {
          try {
            await sink.write(name, body);
          } catch (err) {
            // A file that no longer matches what HTTP serves must not stay "fresh":
            // remove it, so readers fall back to HTTP.
            await sink.remove(name).catch(() => undefined);
            throw err;
          }
        },
        'could not write secret file; removed it so readers use HTTP',
        kind === 'fetched',
      );
    }
  }

  #evicted(key: string, source: string, id: string, why: 'error' | 'lru'): void {
    this.#log.info('evicted', { source, secretId: id, why });
    const sink = this.#o.sink;
    if (!sink) return;
    for (const name of this.#published.get(key) ?? []) {
      this.#chain(name, () => sink.remove(name), 'could not remove secret file', true);
    }
  }

  /**
   * Queues `op` on the file's write chain; `changesValue` also records it as the file's
   * pending value write (a re-stamp does not change the value).
   */
  #chain(name: string, op: () => Promise<void>, failure: string, changesValue: boolean): void {
    const next = (this.#writes.get(name) ?? Promise.resolve()).then(op).catch((err: unknown) => {
      this.#log.error(failure, { file: name, error: err });
    });
    const pending = changesValue ? [this.#writes, this.#valueWrites] : [this.#writes];
    for (const map of pending) map.set(name, next);
    next.then(
      () => {
        for (const map of pending) if (map.get(name) === next) map.delete(name);
      },
      () => undefined,
    );
  }
}

/** What a secret value must mask: its SecretString, or SecretBinary as the base64 served. */
function secretMaterial(v: SecretValue): string | undefined {
  if (v.secretString !== undefined) return v.secretString;
  return v.secretBinary ? Buffer.from(v.secretBinary).toString('base64') : undefined;
}

/** Only a SecureString is secret; String and StringList parameters are plain configuration. */
function parameterMaterial(v: ParameterValue): string | undefined {
  return v.type === 'SecureString' ? v.value : undefined;
}

/**
 * `compute`, remembered per argument object (weakly: a request object that is dropped takes
 * its result with it). Only for pure functions of a request that is never changed.
 */
function perObject<K extends object, V>(compute: (key: K) => V): (key: K) => V {
  const known = new WeakMap<K, V>();
  return (key) => {
    let value = known.get(key);
    if (value === undefined) {
      value = compute(key);
      known.set(key, value);
    }
    return value;
  };
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
