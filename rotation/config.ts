/**
 * The rotation function's configuration, parsed once from the environment.
 * Provider base URLs are not here: they come from the admin secret (`adminBaseURL`)
 * and the rotated secret (`baseURL`), with the public defaults.
 */
import { deepFreeze, type Env, EnvReader, LambdaEnv } from '../shared/env.ts';
import { effectiveLogLevel, LOG_LEVELS, type LogLevel } from '../shared/logger.ts';

/** The rotation function's environment variables, by name. */
export const RotationEnv = {
  AdminSecretArn: 'ROTATION_ADMIN_SECRET_ARN',
  KeyPoolSecretArn: 'ROTATION_KEY_POOL_SECRET_ARN',
  KeyPoolLowWatermark: 'ROTATION_KEY_POOL_LOW_WATERMARK',
  TestAttempts: 'ROTATION_TEST_ATTEMPTS',
  TestBackoffMs: 'ROTATION_TEST_BACKOFF_MS',
  LogLevel: 'ROTATION_LOG_LEVEL',
} as const;

/** Validated configuration. */
export interface RotationConfig {
  /** Secret holding the issuer's admin credential (required unless the provider is `random`). */
  readonly adminSecretArn: string | undefined;
  /** Secret holding pre-provisioned keys (the `anthropic` issuer). */
  readonly keyPoolSecretArn: string | undefined;
  /** Below this many unclaimed pool keys a warning is logged. */
  readonly keyPoolLowWatermark: number;
  /** testSecret attempts before giving up (propagation delay). */
  readonly testAttempts: number;
  /** Delay before the second testSecret attempt; doubles each time, capped at 30 s. */
  readonly testBackoffMs: number;
  readonly logLevel: LogLevel;
  /** The `FunctionName` metric dimension. */
  readonly functionName: string;
  /** Timeout of each provider HTTP call. */
  readonly httpTimeoutMs: number;
}

const SECRET_REF = {
  pattern: /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@!-]{1,512}$/,
  allowed: 'a Secrets Manager secret ARN or name',
};

/** Timeout of each provider HTTP call (not configurable: Lambda's own timeout bounds the step). */
export const PROVIDER_HTTP_TIMEOUT_MS = 10_000;

/** Parses the rotation function's environment; throws one ConfigError listing every problem. */
export function loadRotationConfig(env: Env): RotationConfig {
  const r = new EnvReader(env);
  const own = r.oneOf(RotationEnv.LogLevel, LOG_LEVELS, 'info');
  const config: RotationConfig = {
    adminSecretArn: r.string(RotationEnv.AdminSecretArn, undefined, SECRET_REF),
    keyPoolSecretArn: r.string(RotationEnv.KeyPoolSecretArn, undefined, SECRET_REF),
    keyPoolLowWatermark: r.int(RotationEnv.KeyPoolLowWatermark, {
      default: 2,
      min: 0,
      max: 1000,
    }),
    testAttempts: r.int(RotationEnv.TestAttempts, { default: 5, min: 1, max: 20 }),
    testBackoffMs: r.int(RotationEnv.TestBackoffMs, { default: 1000, min: 0, max: 60_000 }),
    logLevel: effectiveLogLevel(own, r.raw(LambdaEnv.LogLevel)),
    functionName: r.string(LambdaEnv.FunctionName, 'secret-sidecar-rotation'),
    httpTimeoutMs: PROVIDER_HTTP_TIMEOUT_MS,
  };
  r.done();
  return deepFreeze(config);
}

/** Longest wait between two testSecret attempts (the back-off doubles up to it). */
export const MAX_TEST_BACKOFF_MS = 30_000;

/** Secrets Manager reads and writes around the provider calls of one step, at most. */
const STORE_CALLS_MS = 15_000;

/**
 * The longest one rotation step can take with these settings: testSecret's attempts, each
 * bounded by {@link PROVIDER_HTTP_TIMEOUT_MS}, the back-off between them, and the
 * Secrets Manager calls around them. The function's timeout must be longer.
 */
export function worstCaseStepMs(o: { testAttempts: number; testBackoffMs: number }): number {
  let backoff = 0;
  for (let attempt = 1; attempt < o.testAttempts; attempt++) {
    backoff += Math.min(o.testBackoffMs * 2 ** (attempt - 1), MAX_TEST_BACKOFF_MS);
  }
  return o.testAttempts * PROVIDER_HTTP_TIMEOUT_MS + backoff + STORE_CALLS_MS;
}
