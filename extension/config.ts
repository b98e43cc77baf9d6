/**
 * The extension's configuration, read once from the function's environment.
 *
 * {@link loadConfig} validates every variable, collects every problem into one
 * {@link ConfigError} naming the variable and its allowed values, and returns a
 * deep-frozen {@link ExtensionConfig}. Nothing else in `extension/` reads the environment.
 *
 * AWS's Parameters and Secrets extension's variables are honoured too, with AWS's
 * documented names, defaults and ranges, so a function can swap the layer and change
 * nothing else. Our `SECRET_SIDECAR_*` variable wins when both are set; every AWS
 * variable that was honoured, and how, is listed in {@link ExtensionConfig.awsSettings}.
 */
import { isAbsolute } from 'node:path';
import { deepFreeze, type Env, EnvReader, LambdaEnv } from '../shared/env.ts';
import { effectiveLogLevel, LOG_LEVELS, type LogLevel } from '../shared/logger.ts';
import { readProtocolConfig, SidecarProtocolEnv } from '../shared/sidecar-protocol.ts';

/** The extension's `SECRET_SIDECAR_*` environment variables, by name. */
export const SidecarEnv = {
  Secrets: 'SECRET_SIDECAR_SECRETS',
  Parameters: 'SECRET_SIDECAR_PARAMETERS',
  TtlSeconds: 'SECRET_SIDECAR_TTL_SECONDS',
  SecretsTtlSeconds: 'SECRET_SIDECAR_SECRETS_TTL_SECONDS',
  ParametersTtlSeconds: 'SECRET_SIDECAR_PARAMETERS_TTL_SECONDS',
  RefreshAheadPercent: 'SECRET_SIDECAR_REFRESH_AHEAD_PERCENT',
  RefreshAheadSeconds: 'SECRET_SIDECAR_REFRESH_AHEAD_SECONDS',
  MaxStaleSeconds: 'SECRET_SIDECAR_MAX_STALE_SECONDS',
  HttpPort: SidecarProtocolEnv.HttpPort,
  Dir: SidecarProtocolEnv.Dir,
  Files: 'SECRET_SIDECAR_FILES',
  LogLevel: 'SECRET_SIDECAR_LOG_LEVEL',
  UpstreamTimeoutMs: 'SECRET_SIDECAR_UPSTREAM_TIMEOUT_MS',
  UpstreamMaxConnections: 'SECRET_SIDECAR_UPSTREAM_MAX_CONNECTIONS',
  PrefetchTimeoutMs: 'SECRET_SIDECAR_PREFETCH_TIMEOUT_MS',
  MaxConnections: 'SECRET_SIDECAR_MAX_CONNECTIONS',
  CacheSize: 'SECRET_SIDECAR_CACHE_SIZE',
  Events: 'SECRET_SIDECAR_EVENTS',
  Revalidate: 'SECRET_SIDECAR_REVALIDATE',
  MaxRevalidations: 'SECRET_SIDECAR_MAX_REVALIDATIONS',
  InitMode: 'SECRET_SIDECAR_INIT_MODE',
} as const;

/**
 * When the extension fetches, relative to the function's own init (`SECRET_SIDECAR_INIT_MODE`).
 *  - `before-runtime` (default): fetch and write the files, then register. Lambda starts
 *    the runtime only after every extension registered, so module-scope code can read the
 *    files; the fetch is added to INIT.
 *  - `parallel`: listen and register first, then fetch while the runtime initialises; the
 *    extension is still ready before the first invoke. Module-scope code must use the HTTP
 *    API (reads wait on the fetch in flight) or the client library, not the files.
 */
export const InitMode = { BeforeRuntime: 'before-runtime', Parallel: 'parallel' } as const;

/** One of {@link InitMode}. */
export type InitMode = (typeof InitMode)[keyof typeof InitMode];

/**
 * AWS's Parameters and Secrets Lambda extension variables that are honoured, as AWS
 * documents them (the same names aws-cdk-lib's `ParamsAndSecretsOptions` sets).
 */
export const AwsExtensionEnv = {
  HttpPort: SidecarProtocolEnv.AwsHttpPort,
  CacheEnabled: 'PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED',
  CacheSize: 'PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE',
  MaxConnections: 'PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS',
  LogLevel: 'PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL',
  SecretsManagerTtl: 'SECRETS_MANAGER_TTL',
  SecretsManagerTimeoutMillis: 'SECRETS_MANAGER_TIMEOUT_MILLIS',
  SsmParameterStoreTtl: 'SSM_PARAMETER_STORE_TTL',
  SsmParameterStoreTimeoutMillis: 'SSM_PARAMETER_STORE_TIMEOUT_MILLIS',
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

/** How one AWS variable was taken into account, for the start-up log line. */
export interface AwsSetting {
  readonly variable: string;
  /** What it is set to (these never hold a secret). */
  readonly setTo: string;
  /** What it did, e.g. `secrets TTL 120 s`, or why it had no effect. */
  readonly effect: string;
}

/** The parsed, frozen configuration. Every duration is in milliseconds. */
export interface ExtensionConfig {
  /** `SECRET_SIDECAR_SECRETS`: Secrets Manager secrets fetched before registering. */
  readonly secrets: readonly ConfiguredItem[];
  /** `SECRET_SIDECAR_PARAMETERS`: Parameter Store parameters (decrypted) fetched before registering. */
  readonly parameters: readonly ConfiguredItem[];
  /** TTL of secrets; 0 = every read goes upstream. */
  readonly secretsTtlMs: number;
  /** TTL of parameters; 0 = every read goes upstream. */
  readonly parametersTtlMs: number;
  /**
   * How long before expiry a secret is refreshed ahead: `SECRET_SIDECAR_REFRESH_AHEAD_SECONDS`,
   * else `SECRET_SIDECAR_REFRESH_AHEAD_PERCENT` of the secrets' TTL.
   */
  readonly secretsRefreshAheadMs: number;
  /** The same, for parameters. */
  readonly parametersRefreshAheadMs: number;
  /** `SECRET_SIDECAR_MAX_STALE_SECONDS`: how long past expiry a last-good value may be served on transient errors. */
  readonly maxStaleMs: number;
  /** The HTTP port (`SECRET_SIDECAR_HTTP_PORT`, else `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`). */
  readonly httpPort: number;
  /** `SECRET_SIDECAR_DIR` (absolute). */
  readonly dir: string;
  /** `SECRET_SIDECAR_FILES`: write configured values to files. */
  readonly files: boolean;
  /** Effective log level (`AWS_LAMBDA_LOG_LEVEL` wins over ours, ours over AWS's extension's). */
  readonly logLevel: LogLevel;
  /** Bound on each Secrets Manager call, retries included. */
  readonly secretsTimeoutMs: number;
  /** Bound on each Parameter Store call, retries included. */
  readonly parametersTimeoutMs: number;
  /** Outbound connections to each AWS service. */
  readonly upstreamMaxConnections: number;
  /** `SECRET_SIDECAR_PREFETCH_TIMEOUT_MS`: bound on the whole pre-register fetch. */
  readonly prefetchTimeoutMs: number;
  /** `SECRET_SIDECAR_MAX_CONNECTIONS`: concurrent uncached HTTP requests served before answering 429. */
  readonly maxConnections: number;
  /** `SECRET_SIDECAR_CACHE_SIZE`: cached entries for ids that were not configured (LRU). */
  readonly cacheSize: number;
  /** `SECRET_SIDECAR_EVENTS`: events registered for. */
  readonly events: readonly ExtensionEventType[];
  /** `SECRET_SIDECAR_REVALIDATE`: use DescribeSecret to re-stamp an unchanged expired secret. */
  readonly revalidate: boolean;
  /** `SECRET_SIDECAR_MAX_REVALIDATIONS`: re-stamps in a row before a full GetSecretValue. */
  readonly maxRevalidations: number;
  /** `SECRET_SIDECAR_INIT_MODE`: fetch before registering, or in parallel with the runtime's init. */
  readonly initMode: InitMode;
  /** The SSRF token: `AWS_SESSION_TOKEN`, else `AWS_CONTAINER_AUTHORIZATION_TOKEN`. */
  readonly token: string;
  /** `AWS_LAMBDA_FUNCTION_NAME`, the metrics dimension. */
  readonly functionName: string;
  /** AWS extension variables that were set, and what each did. */
  readonly awsSettings: readonly AwsSetting[];
}

/** Defaults and allowed ranges, exported for documentation and tests. */
export const ConfigLimits = {
  ttlSeconds: { default: 300, min: 0, max: 86_400 },
  refreshAheadPercent: { default: 20, min: 0, max: 90 },
  refreshAheadSeconds: { min: 0, max: 86_400 },
  maxStaleSeconds: { default: 3_600, min: 0, max: 604_800 },
  upstreamTimeoutMs: { default: 2_000, min: 100, max: 60_000 },
  upstreamMaxConnections: { default: 16, min: 1, max: 1_024 },
  prefetchTimeoutMs: { default: 5_000, min: 100, max: 9_000 },
  maxConnections: { default: 64, min: 1, max: 1_024 },
  cacheSize: { default: 1_000, min: 1, max: 10_000 },
  maxRevalidations: { default: 3, min: 0, max: 100 },
} as const;

/** AWS's documented ranges for its variables (`SECRETS_MANAGER_TTL`: 0–300 s, ...). */
export const AwsLimits = {
  ttlSeconds: { min: 0, max: 300 },
  cacheSize: { min: 0, max: 1_000 },
  maxConnections: { min: 1, max: 100_000 },
  timeoutMillis: { min: 0, max: ConfigLimits.upstreamTimeoutMs.max },
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
  const aws: AwsSetting[] = [];
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

  const protocol = readProtocolConfig(r);
  if (protocol.token === undefined) {
    r.fail(
      LambdaEnv.SessionToken,
      `must be set (or ${LambdaEnv.ContainerAuthorizationToken}): it is the token callers must send in X-Aws-Parameters-Secrets-Token`,
    );
  }
  if (r.raw(AwsExtensionEnv.HttpPort) !== undefined) {
    aws.push(
      setting(r, AwsExtensionEnv.HttpPort, SidecarEnv.HttpPort, `HTTP port ${protocol.port}`),
    );
  }

  const ttl = ttls(r, aws);
  const refreshAhead = refreshAheadOf(r, ttl);
  const timeouts = timeoutsOf(r, aws);

  const cacheSizeOurs = r.int(SidecarEnv.CacheSize, {
    ...ConfigLimits.cacheSize,
    default: undefined,
  });
  const cacheSizeAws = r.int(AwsExtensionEnv.CacheSize, {
    ...AwsLimits.cacheSize,
    default: undefined,
  });
  if (cacheSizeAws !== undefined) {
    aws.push(
      setting(
        r,
        AwsExtensionEnv.CacheSize,
        SidecarEnv.CacheSize,
        cacheSizeAws === 0
          ? 'caching disabled (0 = no caching)'
          : `${cacheSizeAws} cached ids that are not configured`,
      ),
    );
  }
  const cacheSize = cacheSizeOurs ?? (cacheSizeAws || ConfigLimits.cacheSize.default);

  const connsOurs = r.int(SidecarEnv.UpstreamMaxConnections, {
    ...ConfigLimits.upstreamMaxConnections,
    default: undefined,
  });
  const connsAws = r.int(AwsExtensionEnv.MaxConnections, {
    ...AwsLimits.maxConnections,
    default: undefined,
  });
  if (connsAws !== undefined) {
    aws.push(
      setting(
        r,
        AwsExtensionEnv.MaxConnections,
        SidecarEnv.UpstreamMaxConnections,
        `at most ${Math.min(connsAws, ConfigLimits.upstreamMaxConnections.max)} connections to each AWS service`,
      ),
    );
  }
  const upstreamMaxConnections =
    connsOurs ??
    (connsAws === undefined
      ? ConfigLimits.upstreamMaxConnections.default
      : Math.min(connsAws, ConfigLimits.upstreamMaxConnections.max));

  const ownLevel = r.oneOf(SidecarEnv.LogLevel, LOG_LEVELS, undefined);
  const awsLevel = r.oneOf(AwsExtensionEnv.LogLevel, LOG_LEVELS, undefined);
  if (awsLevel !== undefined) {
    aws.push(setting(r, AwsExtensionEnv.LogLevel, SidecarEnv.LogLevel, `log level ${awsLevel}`));
  }

  const dir = protocol.dir;
  if (!isAbsolute(dir)) r.fail(SidecarEnv.Dir, `must be an absolute path, got "${dir}"`);

  const config: ExtensionConfig = {
    secrets,
    parameters,
    secretsTtlMs: ttl.secretsMs,
    parametersTtlMs: ttl.parametersMs,
    secretsRefreshAheadMs: aheadOf(refreshAhead, ttl.secretsMs),
    parametersRefreshAheadMs: aheadOf(refreshAhead, ttl.parametersMs),
    maxStaleMs: r.int(SidecarEnv.MaxStaleSeconds, ConfigLimits.maxStaleSeconds) * 1000,
    httpPort: protocol.port,
    dir,
    files,
    logLevel: effectiveLogLevel(ownLevel ?? awsLevel ?? 'info', r.raw(LambdaEnv.LogLevel)),
    secretsTimeoutMs: timeouts.secretsMs,
    parametersTimeoutMs: timeouts.parametersMs,
    upstreamMaxConnections,
    prefetchTimeoutMs: r.int(SidecarEnv.PrefetchTimeoutMs, ConfigLimits.prefetchTimeoutMs),
    maxConnections: r.int(SidecarEnv.MaxConnections, ConfigLimits.maxConnections),
    cacheSize,
    events: eventList(r),
    revalidate: r.bool(SidecarEnv.Revalidate, true),
    initMode: r.oneOf(SidecarEnv.InitMode, Object.values(InitMode), InitMode.BeforeRuntime),
    maxRevalidations: r.int(SidecarEnv.MaxRevalidations, ConfigLimits.maxRevalidations),
    token: protocol.token ?? '',
    functionName: r.raw(LambdaEnv.FunctionName) ?? 'unknown',
    awsSettings: aws,
  };
  r.done();
  return deepFreeze(config);
}

/** A record of an AWS variable; says so when ours overrides it. */
function setting(r: EnvReader, variable: string, ours: string, effect: string): AwsSetting {
  const setTo = r.raw(variable) ?? '';
  return r.raw(ours) === undefined
    ? { variable, setTo, effect }
    : { variable, setTo, effect: `ignored: ${ours} is set and wins` };
}

/**
 * Per-source TTLs. For each source, the first that is set wins: our per-source variable,
 * our shared `SECRET_SIDECAR_TTL_SECONDS`, AWS's per-source TTL, AWS's
 * `PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED=false` / `CACHE_SIZE=0` (no caching), 300 s.
 */
function ttls(r: EnvReader, aws: AwsSetting[]): { secretsMs: number; parametersMs: number } {
  const limits = { ...ConfigLimits.ttlSeconds, default: undefined };
  const awsLimits = { ...AwsLimits.ttlSeconds, default: undefined };
  const shared = r.int(SidecarEnv.TtlSeconds, limits);
  const cacheEnabled =
    r.raw(AwsExtensionEnv.CacheEnabled) === undefined
      ? undefined
      : r.bool(AwsExtensionEnv.CacheEnabled, true);
  const cacheSize = r.int(AwsExtensionEnv.CacheSize, {
    ...AwsLimits.cacheSize,
    default: undefined,
  });
  const awsOff = cacheEnabled === false || cacheSize === 0;
  const one = (ours: string, awsVar: string, what: string): number => {
    const own = r.int(ours, limits);
    const awsTtl = r.int(awsVar, awsLimits);
    if (awsTtl !== undefined) {
      const winner =
        own !== undefined ? ours : shared !== undefined ? SidecarEnv.TtlSeconds : undefined;
      aws.push({
        variable: awsVar,
        setTo: r.raw(awsVar) ?? '',
        effect:
          winner !== undefined
            ? `ignored: ${winner} is set and wins`
            : awsOff
              ? `ignored: caching is disabled`
              : `${what} TTL ${awsTtl} s`,
      });
    }
    const seconds = own ?? shared ?? (awsOff ? 0 : awsTtl) ?? ConfigLimits.ttlSeconds.default;
    return seconds * 1000;
  };
  const secretsMs = one(SidecarEnv.SecretsTtlSeconds, AwsExtensionEnv.SecretsManagerTtl, 'secrets');
  const parametersMs = one(
    SidecarEnv.ParametersTtlSeconds,
    AwsExtensionEnv.SsmParameterStoreTtl,
    'parameters',
  );
  if (cacheEnabled !== undefined) {
    aws.push({
      variable: AwsExtensionEnv.CacheEnabled,
      setTo: r.raw(AwsExtensionEnv.CacheEnabled) ?? '',
      effect: cacheEnabled
        ? 'caching enabled (the default)'
        : shared !== undefined
          ? `ignored: ${SidecarEnv.TtlSeconds} is set and wins`
          : 'caching disabled: TTL 0, every read goes to AWS',
    });
  }
  return { secretsMs, parametersMs };
}

/** The refresh-ahead window for one TTL: the seconds form if set, else the percent. */
function aheadOf(ahead: { percent: number; ms: number | undefined }, ttlMs: number): number {
  if (ahead.ms !== undefined) return Math.min(ahead.ms, ttlMs);
  return Math.floor((ttlMs * ahead.percent) / 100);
}

function refreshAheadOf(
  r: EnvReader,
  ttl: { secretsMs: number; parametersMs: number },
): { percent: number; ms: number | undefined } {
  const percentSet = r.raw(SidecarEnv.RefreshAheadPercent) !== undefined;
  const percent = r.int(SidecarEnv.RefreshAheadPercent, ConfigLimits.refreshAheadPercent);
  const seconds = r.int(SidecarEnv.RefreshAheadSeconds, {
    ...ConfigLimits.refreshAheadSeconds,
    default: undefined,
  });
  if (percentSet && seconds !== undefined) {
    r.fail(
      SidecarEnv.RefreshAheadSeconds,
      `must not be set together with ${SidecarEnv.RefreshAheadPercent} (choose one)`,
    );
  }
  if (seconds === undefined) return { percent, ms: undefined };
  const shortest = Math.min(
    ...[ttl.secretsMs, ttl.parametersMs].filter((ms) => ms > 0),
    Number.POSITIVE_INFINITY,
  );
  if (Number.isFinite(shortest) && seconds * 1000 >= shortest) {
    r.fail(
      SidecarEnv.RefreshAheadSeconds,
      `must be less than the shortest TTL (${shortest / 1000} s), got "${seconds}"`,
    );
  }
  return { percent, ms: seconds * 1000 };
}

/**
 * Per-source call bounds: `SECRET_SIDECAR_UPSTREAM_TIMEOUT_MS` for both, else AWS's
 * per-source `*_TIMEOUT_MILLIS` (where 0, "no timeout", becomes our largest bound), else 2 s.
 */
function timeoutsOf(r: EnvReader, aws: AwsSetting[]): { secretsMs: number; parametersMs: number } {
  const ours = r.int(SidecarEnv.UpstreamTimeoutMs, {
    ...ConfigLimits.upstreamTimeoutMs,
    default: undefined,
  });
  const one = (awsVar: string, what: string): number => {
    const awsMs = r.int(awsVar, { ...AwsLimits.timeoutMillis, default: undefined });
    const mapped = awsMs === 0 ? ConfigLimits.upstreamTimeoutMs.max : awsMs;
    if (awsMs !== undefined) {
      aws.push({
        variable: awsVar,
        setTo: r.raw(awsVar) ?? '',
        effect:
          ours !== undefined
            ? `ignored: ${SidecarEnv.UpstreamTimeoutMs} is set and wins`
            : awsMs === 0
              ? `${what} calls bounded at ${mapped} ms (0 = no timeout; our largest bound)`
              : `${what} calls bounded at ${mapped} ms`,
      });
    }
    return ours ?? mapped ?? ConfigLimits.upstreamTimeoutMs.default;
  };
  return {
    secretsMs: one(AwsExtensionEnv.SecretsManagerTimeoutMillis, 'Secrets Manager'),
    parametersMs: one(AwsExtensionEnv.SsmParameterStoreTimeoutMillis, 'Parameter Store'),
  };
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
