import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_MODELS, loadInferenceConfig } from '../../../inference/config.ts';
import { ConfigError } from '../../../shared/errors.ts';

function issuesOf(env: Record<string, string>): string[] {
  try {
    loadInferenceConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.variable} ${i.problem}`);
  }
  return [];
}

describe('loadInferenceConfig', () => {
  it('uses documented defaults for an empty environment', () => {
    const config = loadInferenceConfig({});

    expect(config).toMatchObject({
      secretAlias: 'provider',
      requiredScope: 'secret-sidecar/invoke',
      allowedModels: DEFAULT_ALLOWED_MODELS,
      defaultModel: DEFAULT_ALLOWED_MODELS[0],
      baseURL: undefined,
      providerTimeoutMs: 30_000,
      maxBodyBytes: 65_536,
      maxMessages: 50,
      maxTokens: 1024,
      logContent: false,
      logLevel: 'info',
      sidecar: { dir: '/tmp/secret-sidecar', port: 2773, token: undefined },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadInferenceConfig({
      INFERENCE_SECRET_ALIAS: 'openai',
      INFERENCE_REQUIRED_SCOPE: 'api/invoke',
      INFERENCE_ALLOWED_MODELS: 'gpt-4o-mini, gpt-4.1',
      INFERENCE_DEFAULT_MODEL: 'gpt-4.1',
      INFERENCE_BASE_URL: 'http://127.0.0.1:9999/v1/',
      INFERENCE_PROVIDER_TIMEOUT_MS: '2500',
      INFERENCE_MAX_BODY_BYTES: '2048',
      INFERENCE_MAX_MESSAGES: '4',
      INFERENCE_MAX_TOKENS: '64',
      INFERENCE_LOG_CONTENT: 'true',
      INFERENCE_LOG_LEVEL: 'debug',
      AWS_LAMBDA_FUNCTION_NAME: 'fn',
      SECRET_SIDECAR_HTTP_PORT: '2999',
      SECRET_SIDECAR_DIR: '/tmp/x',
      AWS_SESSION_TOKEN: 'tok',
    });

    expect(config).toMatchObject({
      secretAlias: 'openai',
      requiredScope: 'api/invoke',
      allowedModels: ['gpt-4o-mini', 'gpt-4.1'],
      defaultModel: 'gpt-4.1',
      baseURL: 'http://127.0.0.1:9999/v1',
      providerTimeoutMs: 2500,
      maxBodyBytes: 2048,
      maxMessages: 4,
      maxTokens: 64,
      logContent: true,
      logLevel: 'debug',
      functionName: 'fn',
      sidecar: { dir: '/tmp/x', port: 2999, token: 'tok' },
    });
  });

  it('lets AWS_LAMBDA_LOG_LEVEL override INFERENCE_LOG_LEVEL', () => {
    expect(
      loadInferenceConfig({ INFERENCE_LOG_LEVEL: 'debug', AWS_LAMBDA_LOG_LEVEL: 'WARN' }).logLevel,
    ).toBe('warn');
  });

  it.each([
    ['INFERENCE_PROVIDER_TIMEOUT_MS', 'soon', 'must be an integer from 100 to 900000'],
    ['INFERENCE_PROVIDER_TIMEOUT_MS', '10', 'must be an integer from 100 to 900000'],
    ['INFERENCE_MAX_BODY_BYTES', '0', 'must be an integer from 256 to 6291456'],
    ['INFERENCE_MAX_MESSAGES', '1001', 'must be an integer from 1 to 1000'],
    ['INFERENCE_MAX_TOKENS', '-5', 'must be an integer from 1 to 200000'],
    ['INFERENCE_LOG_CONTENT', 'maybe', 'must be true or false'],
    ['INFERENCE_LOG_LEVEL', 'loud', 'must be one of debug, info, warn, error, none'],
    ['INFERENCE_BASE_URL', 'ftp://x', 'must be an http:// or https:// URL'],
    ['INFERENCE_REQUIRED_SCOPE', 'two scopes', 'must be one OAuth scope without spaces'],
    ['INFERENCE_SECRET_ALIAS', 'bad alias!', 'must be a secret alias, name or ARN'],
    ['INFERENCE_ALLOWED_MODELS', 'gpt 4, ok', 'must be a comma-separated list of model ids'],
    ['INFERENCE_DEFAULT_MODEL', 'not-allowed', 'must be one of INFERENCE_ALLOWED_MODELS'],
    ['SECRET_SIDECAR_HTTP_PORT', '70000', 'must be an integer from 1 to 65535'],
    ['SECRET_SIDECAR_DIR', 'relative/dir', 'must be an absolute path'],
  ])('rejects %s=%j and says what is allowed', (variable, value, problem) => {
    const issues = issuesOf({ [variable]: value });

    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain(variable);
    expect(issues[0]).toContain(problem);
  });

  it('reports every bad variable in one error', () => {
    const issues = issuesOf({ INFERENCE_MAX_TOKENS: 'x', INFERENCE_MAX_MESSAGES: 'y' });

    expect(issues).toHaveLength(2);
  });
});
