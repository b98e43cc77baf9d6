/**
 * The extension's configuration, read once from the function's environment.
 *
 * {@link loadConfig} validates every variable, collects every problem into one
 * {@link ConfigError} naming the variable and its allowed values, and returns a
 * deep-frozen {@link ExtensionConfig}. Nothing else in `extension/` reads the environment.
 */
import { isAbsolute } from 'node:path';
import { deepFreeze, type Env, EnvReader, LambdaEnv } from '../shared/env.ts';
import { effectiveLogLevel, LOG_LEVELS, type LogLevel } from '../shared/logger.ts';
import {
  DEFAULT_HTTP_PORT,
  DEFAULT_SECRET_DIR,
  SidecarProtocolEnv,
} from '../shared/sidecar-protocol.ts';

/** The extension's `SECRET_SIDECAR_*` environment variables, by name. */
export const SidecarEnv = {
  Secrets: 'SECRET_SIDECAR_SECRETS',
  Parameters: 'SECRET_SIDECAR_PARAMETERS',
  TtlSeconds: 'SECRET_SIDECAR_TTL_SECONDS',
  RefreshAheadPercent: 'SECRET_SIDECAR_REFRESH_AHEAD_PERCENT',
  RefreshAheadSeconds: 'SECRET_SIDECAR_REFRESH_AHEAD_SECONDS',
  MaxStaleSeconds: 'SECRET_SIDECAR_MAX_STALE_SECONDS',
  HttpPort: SidecarProtocolEnv.HttpPort,
  Dir: SidecarProtocolEnv.Dir,
  Files: 'SECRET_SIDECAR_FILES',
  LogLevel: 'SECRET_SIDECAR_LOG_LEVEL',
  UpstreamTimeoutMs: 'SECRET_SIDECAR_UPSTREAM_TIMEOUT_MS',
  PrefetchTimeoutMs: 'SECRET_SIDECAR_PREFETCH_TIMEOUT_MS',
  MaxConnections: 'SECRET_SIDECAR_MAX_CONNECTIONS',
  CacheSize: 'SECRET_SIDECAR_CACHE_SIZE',
  Events: 'SECRET_SIDECAR_EVENTS',
  Revalidate: 'SECRET_SIDECAR_REVALIDATE',
} as const;

/** Lambda extension events the extension can subscribe to. */
export const ExtensionEvent = { Invoke: 'INVOKE', Shutdown: 'SHUTDOWN' } as const;

/** One of {@link ExtensionEvent}. */
export type ExtensionEventType = (typeof ExtensionEvent)[keyof typeof ExtensionEvent];

/** A configured secret or parameter: what to fetch, and under which name to publish it. */
export interface ConfiguredItem {
  /** Secret id (name or ARN) or parameter name, as configured. */
  readonly id: string;
  /** Alias given as `alias=id`, if any. */
  readonly alias: string | undefined;
  /** The name files and HTTP lookups use: the alias, else the id. */
  readonly name: string;
}

/** The parsed, frozen configuration. Every duration is in milliseconds. */
export interface ExtensionConfig {
  /** `SECRET_SIDECAR_SECRETS`: Secrets Manager secrets fetched before registering. */
  readonly secrets: readonly ConfiguredItem[];
  /** `SECRET_SIDECAR_PARAMETERS`: Parameter Store parameters (decrypted) fetched before registering. */
  readonly parameters: readonly ConfiguredItem[];
  /** `SECRET_SIDECAR_TTL_SECONDS`; 0 = every read goes upstream. */
  readonly ttlMs: number;
  /** How long before expiry an entry is refreshed in the background. */
  readonly refreshAheadMs: number;
  /** `SECRET_SIDECAR_MAX_STALE_SECONDS`: how long past expiry a last-good value may be served on transient errors. */
  readonly maxStaleMs: number;
  /** `SECRET_SIDECAR_HTTP_PORT`. */
  readonly httpPort: number;
  /** `SECRET_SIDECAR_DIR` (absolute). */
  readonly dir: string;
  /** `SECRET_SIDECAR_FILES`: write configured values to files. */
  readonly files: boolean;
  /** Effective log level (`AWS_LAMBDA_LOG_LEVEL` wins over `SECRET_SIDECAR_LOG_LEVEL`). */
  readonly logLevel: LogLevel;
  /** `SECRET_SIDECAR_UPSTREAM_TIMEOUT_MS`: bound on each AWS call, retries included. */
  readonly upstreamTimeoutMs: number;
  /** `SECRET_SIDECAR_PREFETCH_TIMEOUT_MS`: bound on the whole pre-register fetch. */
  readonly prefetchTimeoutMs: number;
  /** `SECRET_SIDECAR_MAX_CONNECTIONS`: concurrent HTTP requests served before answering 429. */
  readonly maxConnections: number;
  /** `SECRET_SIDECAR_CACHE_SIZE`: cached entries for ids that were not configured (LRU). */
  readonly cacheSize: number;
  /** `SECRET_SIDECAR_EVENTS`: events registered for. */
  readonly events: readonly ExtensionEventType[];
  /** `SECRET_SIDECAR_REVALIDATE`: use DescribeSecret to re-stamp an unchanged expired secret. */
  readonly revalidate: boolean;
  /** The SSRF token: `AWS_SESSION_TOKEN`, else `AWS_CONTAINER_AUTHORIZATION_TOKEN`. */
  readonly token: string;
  /** `AWS_LAMBDA_FUNCTION_NAME`, the metrics dimension. */
  readonly functionName: string;
}

/** Default and allowed ranges, exported for documentation and tests. */
export const ConfigLimits = {
  ttlSeconds: { default: 300, min: 0, max: 86_400 },
  refreshAheadPercent: { default: 20, min: 0, max: 90 },
  refreshAheadSeconds: { min: 0, max: 86_400 },
  maxStaleSeconds: { default: 3_600, min: 0, max: 604_800 },
  httpPort: { default: DEFAULT_HTTP_PORT, min: 1, max: 65_535 },
  upstreamTimeoutMs: { default: 2_000, min: 100, max: 60_000 },
  prefetchTimeoutMs: { default: 5_000, min: 100, max: 9_000 },
  maxConnections: { default: 64, min: 1, max: 1_024 },
  cacheSize: { default: 1_000, min: 1, max: 10_000 },
} as const;

const ALIAS = /^[A-Za-z0-9._-]+$/;
const EVENTS: readonly ExtensionEventType[] = Object.values(ExtensionEvent);

/**
 * Parses and validates the extension's environment.
 *
 * @throws ConfigError listing every invalid variable with the allowed values.
 */
export function loadConfig(env: Env): Readonly<ExtensionConfig> {
  const r = new EnvReader(env);
  const secrets = items(r, SidecarEnv.Secrets);
  const parameters = items(r, SidecarEnv.Parameters);
  const files = r.bool(SidecarEnv.Files, true);
  const nameClash = secrets.find((s) => parameters.some((p) => p.name === s.name));
  if (nameClash && files) {
    r.fail(
      SidecarEnv.Parameters,
      `must not reuse the name ${JSON.stringify(nameClash.name)} already used in ${SidecarEnv.Secrets} (both would write the same file)`,
    );
  }

  const ttlSeconds = r.int(SidecarEnv.TtlSeconds, ConfigLimits.ttlSeconds);
  const percent = r.raw(SidecarEnv.RefreshAheadPercent);
  const aheadSeconds = r.int(SidecarEnv.RefreshAheadSeconds, {
    ...ConfigLimits.refreshAheadSeconds,
    default: undefined,
  });
  const aheadPercent = r.int(SidecarEnv.RefreshAheadPercent, ConfigLimits.refreshAheadPercent);
  if (percent !== undefined && aheadSeconds !== undefined) {
    r.fail(
      SidecarEnv.RefreshAheadSeconds,
      `must not be set together with ${SidecarEnv.RefreshAheadPercent} (choose one)`,
    );
  }
  const ttlMs = ttlSeconds * 1000;
  let refreshAheadMs = Math.floor((ttlMs * aheadPercent) / 100);
  if (aheadSeconds !== undefined) {
    if (aheadSeconds >= ttlSeconds && ttlSeconds > 0) {
      r.fail(
        SidecarEnv.RefreshAheadSeconds,
        `must be less than ${SidecarEnv.TtlSeconds} (${ttlSeconds}), got "${aheadSeconds}"`,
      );
    }
    refreshAheadMs = Math.min(aheadSeconds * 1000, ttlMs);
  }

  const dir = r.string(SidecarEnv.Dir, DEFAULT_SECRET_DIR);
  if (!isAbsolute(dir)) r.fail(SidecarEnv.Dir, `must be an absolute path, got "${dir}"`);

  const ownLevel = r.oneOf(SidecarEnv.LogLevel, LOG_LEVELS, 'info');
  const events = eventList(r);

  const token = r.raw(LambdaEnv.SessionToken) ?? r.raw(LambdaEnv.ContainerAuthorizationToken);
  if (token === undefined) {
    r.fail(
      LambdaEnv.SessionToken,
      `must be set (or ${LambdaEnv.ContainerAuthorizationToken}): it is the token callers must send in X-Aws-Parameters-Secrets-Token`,
    );
  }

  const config: ExtensionConfig = {
    secrets,
    parameters,
    ttlMs,
    refreshAheadMs,
    maxStaleMs: r.int(SidecarEnv.MaxStaleSeconds, ConfigLimits.maxStaleSeconds) * 1000,
    httpPort: r.int(SidecarEnv.HttpPort, ConfigLimits.httpPort),
    dir,
    files,
    logLevel: effectiveLogLevel(ownLevel, r.raw(LambdaEnv.LogLevel)),
    upstreamTimeoutMs: r.int(SidecarEnv.UpstreamTimeoutMs, ConfigLimits.upstreamTimeoutMs),
    prefetchTimeoutMs: r.int(SidecarEnv.PrefetchTimeoutMs, ConfigLimits.prefetchTimeoutMs),
    maxConnections: r.int(SidecarEnv.MaxConnections, ConfigLimits.maxConnections),
    cacheSize: r.int(SidecarEnv.CacheSize, ConfigLimits.cacheSize),
    events,
    revalidate: r.bool(SidecarEnv.Revalidate, true),
    token: token ?? '',
    functionName: r.raw(LambdaEnv.FunctionName) ?? 'unknown',
  };
  r.done();
  return deepFreeze(config);
}

/** Parses `alias=id` / `id` lists, recording bad items against `variable`. */
function items(r: EnvReader, variable: string): ConfiguredItem[] {
  const raw = r.raw(variable);
  if (raw === undefined) return [];
  const out: ConfiguredItem[] = [];
  const parts = raw.split(',').map((s) => s.trim());
  parts.forEach((part, index) => {
    if (part === '') {
      r.fail(variable, `has an empty item at position ${index + 1}; expected alias=id or id`);
      return;
    }
    const eq = part.indexOf('=');
    const alias = eq === -1 ? undefined : part.slice(0, eq).trim();
    const id = eq === -1 ? part : part.slice(eq + 1).trim();
    if (alias !== undefined && !ALIAS.test(alias)) {
      r.fail(
        variable,
        `alias ${JSON.stringify(alias)} must be non-empty and use only letters, digits, '.', '_' and '-'`,
      );
      return;
    }
    if (id === '' || /\s/.test(id)) {
      r.fail(variable, `item ${JSON.stringify(part)} must name an id without spaces`);
      return;
    }
    const name = alias ?? id;
    if (out.some((o) => o.name === name)) {
      r.fail(variable, `lists ${JSON.stringify(name)} more than once`);
      return;
    }
    out.push({ id, alias, name });
  });
  return out;
}

/** Parses `SECRET_SIDECAR_EVENTS`: a subset of INVOKE,SHUTDOWN that includes SHUTDOWN. */
function eventList(r: EnvReader): ExtensionEventType[] {
  const variable = SidecarEnv.Events;
  const fallback: ExtensionEventType[] = ['INVOKE', 'SHUTDOWN'];
  if (r.raw(variable) === undefined) return fallback;
  const names = r.list(variable).map((s) => s.toUpperCase());
  const unknown = names.filter((n) => !(EVENTS as readonly string[]).includes(n));
  if (unknown.length > 0 || !names.includes('SHUTDOWN')) {
    r.fail(
      variable,
      `must be "INVOKE,SHUTDOWN" or "SHUTDOWN", got ${JSON.stringify(r.raw(variable))}`,
    );
    return fallback;
  }
  return EVENTS.filter((e) => names.includes(e));
}
