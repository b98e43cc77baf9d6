/**
 * The CDK app's settings, each from CDK context (`-c key=value`) or else an
 * environment variable, validated once into a frozen object. Every bad value
 * is reported together, naming the setting and what is allowed.
 */

import { PROVIDERS, Provider } from '@secret-sidecar/cdk';
import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { EnvReader } from '../shared/env.ts';
import { ConfigError, type ConfigIssue } from '../shared/errors.ts';

/** Each setting's context key and environment variable. */
export const AppSetting = {
  stackName: 'SECRET_SIDECAR_DEPLOY_STACK_NAME',
  provider: 'SECRET_SIDECAR_DEPLOY_PROVIDER',
  providerBaseUrl: 'SECRET_SIDECAR_DEPLOY_PROVIDER_BASE_URL',
  rotationSchedule: 'SECRET_SIDECAR_DEPLOY_ROTATION_SCHEDULE',
  rotationWindowHours: 'SECRET_SIDECAR_DEPLOY_ROTATION_WINDOW_HOURS',
  logRetentionDays: 'SECRET_SIDECAR_DEPLOY_LOG_RETENTION_DAYS',
  alarmEmail: 'SECRET_SIDECAR_DEPLOY_ALARM_EMAIL',
  cognitoDomainPrefix: 'SECRET_SIDECAR_DEPLOY_COGNITO_DOMAIN_PREFIX',
  allowedModels: 'SECRET_SIDECAR_DEPLOY_ALLOWED_MODELS',
  defaultModel: 'SECRET_SIDECAR_DEPLOY_DEFAULT_MODEL',
} as const;

/** A context key of {@link AppSetting}. */
export type AppSettingKey = keyof typeof AppSetting;

/** The app's validated settings. */
export interface AppConfig {
  readonly stackName: string;
  readonly provider: Provider;
  /** `baseURL` stored in the secret. */
  readonly providerBaseUrl?: string;
  /** Set when the schedule is `rate(...)`. */
  readonly rotateAfter?: Duration;
  /** Set when the schedule is `cron(...)`. */
  readonly rotationCron?: string;
  /** Rotation window length. */
  readonly rotationWindow: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly alarmEmail?: string;
  readonly cognitoDomainPrefix?: string;
  readonly allowedModels?: readonly string[];
  readonly defaultModel?: string;
}

/** Defaults, as documented in docs/deploy.md. */
export const APP_DEFAULTS = {
  stackName: 'SecretSidecar',
  provider: Provider.OpenAI,
  rotationSchedule: 'rate(30 days)',
  rotationWindowHours: 4,
  logRetentionDays: 180,
} as const;

/** Retention values CloudWatch Logs accepts, in days. */
export const RETENTION_DAYS: readonly number[] = Object.values(logs.RetentionDays)
  .filter((v): v is number => typeof v === 'number' && v > 0)
  .sort((a, b) => a - b);

const RATE = /^rate\((\d+) (hour|hours|day|days)\)$/;
const CRON = /^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$/;

/**
 * Reads the settings. `context(key)` is the CDK context lookup
 * (`app.node.tryGetContext`); a context value wins over the environment.
 *
 * @throws ConfigError listing every bad setting.
 */
export function loadAppConfig(
  context: (key: string) => unknown,
  env: Readonly<Record<string, string | undefined>>,
): Readonly<AppConfig> {
  const merged: Record<string, string | undefined> = {};
  for (const [key, envName] of Object.entries(AppSetting)) {
    const ctx = context(key);
    merged[envName] = ctx === undefined || ctx === null ? env[envName] : String(ctx);
  }
  const r = new EnvReader(merged);
  const stackName = r.string(AppSetting.stackName, APP_DEFAULTS.stackName, {
    pattern: /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
    allowed: 'a CloudFormation stack name (letters, digits, -; starts with a letter)',
  });
  const provider = r.oneOf(AppSetting.provider, PROVIDERS, APP_DEFAULTS.provider);
  const providerBaseUrl = r.url(AppSetting.providerBaseUrl, undefined);
  const schedule = r.string(AppSetting.rotationSchedule, APP_DEFAULTS.rotationSchedule);
  let rotateAfter: Duration | undefined;
  let rotationCron: string | undefined;
  const rate = RATE.exec(schedule);
  if (rate) {
    const n = Number(rate[1]);
    rotateAfter = rate[2]?.startsWith('hour') ? Duration.hours(n) : Duration.days(n);
    const hours = rotateAfter.toHours();
    if (hours < 4 || hours > 24_000) {
      r.fail(
        AppSetting.rotationSchedule,
        `must be from rate(4 hours) to rate(1000 days), got "${schedule}"`,
      );
    }
  } else if (CRON.test(schedule)) {
    rotationCron = schedule;
  } else {
    r.fail(
      AppSetting.rotationSchedule,
      `must be "rate(N days)", "rate(N hours)" or a 6-field "cron(...)" expression, got "${schedule}"`,
    );
  }
  const windowHours = r.int(AppSetting.rotationWindowHours, {
    default: APP_DEFAULTS.rotationWindowHours,
    min: 1,
    max: 24,
  });
  const retentionDays = r.int(AppSetting.logRetentionDays, {
    default: APP_DEFAULTS.logRetentionDays,
    min: 1,
    max: 3653,
  });
  if (!RETENTION_DAYS.includes(retentionDays)) {
    r.fail(
      AppSetting.logRetentionDays,
      `must be one of ${RETENTION_DAYS.join(', ')}, got "${retentionDays}"`,
    );
  }
  const alarmEmail = r.string(AppSetting.alarmEmail, undefined, {
    pattern: /^[^@\s]+@[^@\s]+\.[^@\s]+$/,
    allowed: 'an e-mail address like ops@example.com',
  });
  const cognitoDomainPrefix = r.string(AppSetting.cognitoDomainPrefix, undefined, {
    pattern: /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    allowed: 'lowercase letters, digits and - (1-63 characters)',
  });
  const models = r.list(AppSetting.allowedModels);
  const defaultModel = r.string(AppSetting.defaultModel, undefined);
  if (defaultModel !== undefined && models.length > 0 && !models.includes(defaultModel)) {
    r.fail(AppSetting.defaultModel, `must be one of the allowed models ${models.join(', ')}`);
  }
  try {
    r.done();
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.issues.map(withContextKey));
    throw err;
  }
  return Object.freeze({
    stackName,
    provider,
    providerBaseUrl,
    rotateAfter,
    rotationCron,
    rotationWindow: Duration.hours(windowHours),
    logRetention: retentionDays as logs.RetentionDays,
    alarmEmail,
    cognitoDomainPrefix,
    allowedModels: models.length > 0 ? Object.freeze(models) : undefined,
    defaultModel,
  });
}

/** Names both ways to set the value: `-c provider=...` or the variable. */
function withContextKey(issue: ConfigIssue): ConfigIssue {
  const key = Object.entries(AppSetting).find(([, envName]) => envName === issue.variable)?.[0];
  return key === undefined
    ? issue
    : { variable: `${key} (context) / ${issue.variable}`, problem: issue.problem };
}
