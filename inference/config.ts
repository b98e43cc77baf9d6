/**
 * Configuration of the inference functions, parsed once from the environment into
 * a frozen object. Every problem is reported at once by one {@link ConfigError}.
 */

import { readSidecarClientConfig, type SidecarClientConfig } from '@secret-sidecar/client';
import { deepFreeze, type Env, EnvReader, LambdaEnv } from '../shared/env.ts';
import { effectiveLogLevel, LOG_LEVELS, LogLevel } from '../shared/logger.ts';

/** The inference functions' environment variables, by name. */
export const InferenceEnv = {
  SecretAlias: 'INFERENCE_SECRET_ALIAS',
  RequiredScope: 'INFERENCE_REQUIRED_SCOPE',
  AllowedModels: 'INFERENCE_ALLOWED_MODELS',
  DefaultModel: 'INFERENCE_DEFAULT_MODEL',
  BaseUrl: 'INFERENCE_BASE_URL',
  ProviderTimeoutMs: 'INFERENCE_PROVIDER_TIMEOUT_MS',
  MaxBodyBytes: 'INFERENCE_MAX_BODY_BYTES',
  MaxMessages: 'INFERENCE_MAX_MESSAGES',
  MaxTokens: 'INFERENCE_MAX_TOKENS',
  LogContent: 'INFERENCE_LOG_CONTENT',
  LogLevel: 'INFERENCE_LOG_LEVEL',
} as const;

/** Models allowed when `INFERENCE_ALLOWED_MODELS` is not set. */
export const DEFAULT_ALLOWED_MODELS: readonly string[] = Object.freeze([
  'gpt-4o-mini',
  'gpt-4.1-mini',
  'gemini-2.0-flash',
  'gemini-2.5-flash',
  'claude-3-5-haiku-latest',
  'claude-sonnet-4-0',
]);

/** Everything the inference handlers need to know about their deployment. */
export interface InferenceConfig {
  /** `INFERENCE_SECRET_ALIAS`: alias or id of the provider secret in the sidecar. */
  readonly secretAlias: string;
  /** `INFERENCE_REQUIRED_SCOPE`: OAuth scope a caller's token must carry. */
  readonly requiredScope: string;
  /** `INFERENCE_ALLOWED_MODELS`: models a caller may ask for. */
  readonly allowedModels: readonly string[];
  /** `INFERENCE_DEFAULT_MODEL`: used when neither the request nor the secret names a model. */
  readonly defaultModel: string;
  /** `INFERENCE_BASE_URL`: overrides the secret's and the provider's base URL. */
  readonly baseURL: string | undefined;
  /** `INFERENCE_PROVIDER_TIMEOUT_MS`: deadline of one provider call. */
  readonly providerTimeoutMs: number;
  /** `INFERENCE_MAX_BODY_BYTES`: largest request body accepted. */
  readonly maxBodyBytes: number;
  /** `INFERENCE_MAX_MESSAGES`: most chat messages in one request. */
  readonly maxMessages: number;
  /** `INFERENCE_MAX_TOKENS`: cap for `max_tokens`, also its default. */
  readonly maxTokens: number;
  /** `INFERENCE_LOG_CONTENT`: put prompt and completion text in the audit line. */
  readonly logContent: boolean;
  /** `INFERENCE_LOG_LEVEL`, overridden by `AWS_LAMBDA_LOG_LEVEL`. */
  readonly logLevel: LogLevel;
  /** `AWS_LAMBDA_FUNCTION_NAME`: the metrics dimension. */
  readonly functionName: string;
  /** How to reach the sidecar. */
  readonly sidecar: SidecarClientConfig;
}

const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/;

/**
 * Parses the inference environment.
 *
 * @throws {ConfigError} listing every bad variable with what is allowed.
 */
export function loadInferenceConfig(env: Env): Readonly<InferenceConfig> {
  const r = new EnvReader(env);
  const allowedModels = r.list(InferenceEnv.AllowedModels);
  const models = allowedModels.length > 0 ? allowedModels : [...DEFAULT_ALLOWED_MODELS];
  const bad = models.filter((m) => !MODEL_ID.test(m));
  if (bad.length > 0) {
    r.fail(
      InferenceEnv.AllowedModels,
      `must be a comma-separated list of model ids (letters, digits, . _ : / @ -), got ${JSON.stringify(bad.join(','))}`,
    );
  }
  const defaultModel = r.string(InferenceEnv.DefaultModel, undefined);
  if (defaultModel !== undefined && !models.includes(defaultModel)) {
    r.fail(
      InferenceEnv.DefaultModel,
      `must be one of ${InferenceEnv.AllowedModels} (${models.join(', ')}), got ${JSON.stringify(defaultModel)}`,
    );
  }
  const ownLevel = r.oneOf(InferenceEnv.LogLevel, LOG_LEVELS, LogLevel.INFO);
  const config: InferenceConfig = {
    secretAlias: r.string(InferenceEnv.SecretAlias, 'provider', {
      pattern: /^[A-Za-z0-9/_+=.@:-]{1,2048}$/,
      allowed: 'a secret alias, name or ARN (letters, digits and /_+=.@:-)',
    }),
    requiredScope: r.string(InferenceEnv.RequiredScope, 'secret-sidecar/invoke', {
      pattern: /^\S{1,256}$/,
      allowed: 'one OAuth scope without spaces',
    }),
    allowedModels: models,
    defaultModel: defaultModel ?? models[0] ?? 'gpt-4o-mini',
    baseURL: r.url(InferenceEnv.BaseUrl, undefined),
    providerTimeoutMs: r.int(InferenceEnv.ProviderTimeoutMs, {
      default: 30_000,
      min: 100,
      max: 900_000,
    }),
    maxBodyBytes: r.int(InferenceEnv.MaxBodyBytes, {
      default: 64 * 1024,
      min: 256,
      max: 6 * 1024 * 1024,
    }),
    maxMessages: r.int(InferenceEnv.MaxMessages, { default: 50, min: 1, max: 1000 }),
    maxTokens: r.int(InferenceEnv.MaxTokens, { default: 1024, min: 1, max: 200_000 }),
    logContent: r.bool(InferenceEnv.LogContent, false),
    logLevel: effectiveLogLevel(ownLevel, r.raw(LambdaEnv.LogLevel)),
    functionName: r.string(LambdaEnv.FunctionName, 'inference'),
    sidecar: readSidecarClientConfig(r),
  };
  r.done();
  return deepFreeze(config);
}
