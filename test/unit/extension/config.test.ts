import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../extension/config.ts';
import { ConfigError } from '../../../shared/errors.ts';

const BASE = { AWS_SESSION_TOKEN: 'session-token-value', AWS_LAMBDA_FUNCTION_NAME: 'fn' };

function issuesOf(env: Record<string, string>): { variable: string; problem: string }[] {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(BASE);
    expect(c).toMatchObject({
      secrets: [],
      parameters: [],
      secretsTtlMs: 300_000,
      parametersTtlMs: 300_000,
      secretsRefreshAheadMs: 60_000,
      parametersRefreshAheadMs: 60_000,
      maxStaleMs: 3_600_000,
      httpPort: 2773,
      dir: '/tmp/secret-sidecar',
      files: true,
      logLevel: 'info',
      secretsTimeoutMs: 2_000,
      parametersTimeoutMs: 2_000,
      upstreamMaxConnections: 16,
      prefetchTimeoutMs: 5_000,
      maxConnections: 64,
      cacheSize: 1_000,
      events: ['INVOKE', 'SHUTDOWN'],
      revalidate: true,
      maxRevalidations: 3,
      token: 'session-token-value',
      functionName: 'fn',
      awsSettings: [],
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.events)).toBe(true);
  });

  it('parses aliases and bare ids, keeping ARNs whole', () => {
    const c = loadConfig({
      ...BASE,
      SECRET_SIDECAR_SECRETS:
        'openai=prod/openai, arn:aws:secretsmanager:us-east-1:123456789012:secret:gemini-AbCdEf',
      SECRET_SIDECAR_PARAMETERS: 'model=/app/model',
    });
    expect(c.secrets).toEqual([
      { alias: 'openai', id: 'prod/openai', name: 'openai' },
      {
        alias: undefined,
        id: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:gemini-AbCdEf',
        name: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:gemini-AbCdEf',
      },
    ]);
    expect(c.parameters).toEqual([{ alias: 'model', id: '/app/model', name: 'model' }]);
  });

  it('falls back to AWS_CONTAINER_AUTHORIZATION_TOKEN when there is no session token', () => {
    const c = loadConfig({ AWS_CONTAINER_AUTHORIZATION_TOKEN: 'container-token' });
    expect(c.token).toBe('container-token');
  });

  it('lets AWS_LAMBDA_LOG_LEVEL win over SECRET_SIDECAR_LOG_LEVEL', () => {
    const c = loadConfig({
      ...BASE,
      SECRET_SIDECAR_LOG_LEVEL: 'debug',
      AWS_LAMBDA_LOG_LEVEL: 'WARN',
    });
    expect(c.logLevel).toBe('warn');
  });

  it.each([
    ['SECRET_SIDECAR_TTL_SECONDS', '0', { secretsTtlMs: 0, parametersTtlMs: 0 }],
    ['SECRET_SIDECAR_TTL_SECONDS', '86400', { secretsTtlMs: 86_400_000 }],
    [
      'SECRET_SIDECAR_SECRETS_TTL_SECONDS',
      '60',
      { secretsTtlMs: 60_000, parametersTtlMs: 300_000 },
    ],
    ['SECRET_SIDECAR_PARAMETERS_TTL_SECONDS', '0', { parametersTtlMs: 0, secretsTtlMs: 300_000 }],
    ['SECRET_SIDECAR_REFRESH_AHEAD_PERCENT', '50', { secretsRefreshAheadMs: 150_000 }],
    ['SECRET_SIDECAR_REFRESH_AHEAD_SECONDS', '30', { parametersRefreshAheadMs: 30_000 }],
    ['SECRET_SIDECAR_MAX_STALE_SECONDS', '0', { maxStaleMs: 0 }],
    ['SECRET_SIDECAR_HTTP_PORT', '1', { httpPort: 1 }],
    ['SECRET_SIDECAR_HTTP_PORT', '65535', { httpPort: 65_535 }],
    ['SECRET_SIDECAR_DIR', '/tmp/elsewhere', { dir: '/tmp/elsewhere' }],
    ['SECRET_SIDECAR_FILES', 'false', { files: false }],
    ['SECRET_SIDECAR_LOG_LEVEL', 'none', { logLevel: 'none' }],
    [
      'SECRET_SIDECAR_UPSTREAM_TIMEOUT_MS',
      '100',
      { secretsTimeoutMs: 100, parametersTimeoutMs: 100 },
    ],
    ['SECRET_SIDECAR_UPSTREAM_MAX_CONNECTIONS', '1', { upstreamMaxConnections: 1 }],
    ['SECRET_SIDECAR_MAX_REVALIDATIONS', '0', { maxRevalidations: 0 }],
    ['SECRET_SIDECAR_PREFETCH_TIMEOUT_MS', '9000', { prefetchTimeoutMs: 9_000 }],
    ['SECRET_SIDECAR_MAX_CONNECTIONS', '1', { maxConnections: 1 }],
    ['SECRET_SIDECAR_CACHE_SIZE', '10000', { cacheSize: 10_000 }],
    ['SECRET_SIDECAR_EVENTS', 'SHUTDOWN', { events: ['SHUTDOWN'] }],
    ['SECRET_SIDECAR_EVENTS', 'shutdown, invoke', { events: ['INVOKE', 'SHUTDOWN'] }],
    ['SECRET_SIDECAR_REVALIDATE', 'false', { revalidate: false }],
  ])('accepts %s=%s', (variable, value, expected) => {
    expect(loadConfig({ ...BASE, [variable]: value })).toMatchObject(expected);
  });

  it.each([
    ['SECRET_SIDECAR_TTL_SECONDS', '-1', 'integer from 0 to 86400'],
    ['SECRET_SIDECAR_TTL_SECONDS', '86401', 'integer from 0 to 86400'],
    ['SECRET_SIDECAR_TTL_SECONDS', '5m', 'integer from 0 to 86400'],
    ['SECRET_SIDECAR_REFRESH_AHEAD_PERCENT', '95', 'integer from 0 to 90'],
    ['SECRET_SIDECAR_REFRESH_AHEAD_SECONDS', '300', 'less than the shortest TTL (300 s)'],
    ['SECRET_SIDECAR_SECRETS_TTL_SECONDS', '86401', 'integer from 0 to 86400'],
    ['SECRET_SIDECAR_MAX_REVALIDATIONS', '101', 'integer from 0 to 100'],
    ['SECRET_SIDECAR_UPSTREAM_MAX_CONNECTIONS', '0', 'integer from 1 to 1024'],
    ['SECRET_SIDECAR_MAX_STALE_SECONDS', 'forever', 'integer from 0 to 604800'],
    ['SECRET_SIDECAR_HTTP_PORT', '0', 'integer from 1 to 65535'],
    ['SECRET_SIDECAR_HTTP_PORT', '70000', 'integer from 1 to 65535'],
    ['SECRET_SIDECAR_DIR', 'tmp/relative', 'absolute path'],
    ['SECRET_SIDECAR_FILES', 'maybe', 'true or false'],
    ['SECRET_SIDECAR_LOG_LEVEL', 'verbose', 'debug, info, warn, error, none'],
    ['SECRET_SIDECAR_UPSTREAM_TIMEOUT_MS', '50', 'integer from 100 to 60000'],
    ['SECRET_SIDECAR_PREFETCH_TIMEOUT_MS', '20000', 'integer from 100 to 9000'],
    ['SECRET_SIDECAR_MAX_CONNECTIONS', '0', 'integer from 1 to 1024'],
    ['SECRET_SIDECAR_CACHE_SIZE', '0', 'integer from 1 to 10000'],
    ['SECRET_SIDECAR_EVENTS', 'INVOKE', '"INVOKE,SHUTDOWN" or "SHUTDOWN"'],
    ['SECRET_SIDECAR_EVENTS', 'SHUTDOWN,LOGS', '"INVOKE,SHUTDOWN" or "SHUTDOWN"'],
    ['SECRET_SIDECAR_REVALIDATE', 'sometimes', 'true or false'],
    ['SECRET_SIDECAR_SECRETS', 'a,,b', 'empty item at position 2'],
    ['SECRET_SIDECAR_SECRETS', 'bad alias=prod/x', "only letters, digits, '.', '_' and '-'"],
    ['SECRET_SIDECAR_SECRETS', '=prod/x', 'must be non-empty'],
    ['SECRET_SIDECAR_SECRETS', 'key=', 'must name an id'],
    ['SECRET_SIDECAR_SECRETS', 'k=a,k=b', 'more than once'],
    ['SECRET_SIDECAR_SECRETS', 'prod/x,prod/x', 'more than once'],
    ['SECRET_SIDECAR_PARAMETERS', 'p=/a,,q=/b', 'empty item at position 2'],
  ])('rejects %s=%s, naming the variable and what is allowed', (variable, value, allowed) => {
    const issues = issuesOf({ [variable]: value });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.variable).toBe(variable);
    expect(issues[0]?.problem).toContain(allowed);
  });

  it('rejects REFRESH_AHEAD_SECONDS together with REFRESH_AHEAD_PERCENT', () => {
    const issues = issuesOf({
      SECRET_SIDECAR_REFRESH_AHEAD_SECONDS: '10',
      SECRET_SIDECAR_REFRESH_AHEAD_PERCENT: '10',
    });
    expect(issues.map((i) => i.variable)).toEqual(['SECRET_SIDECAR_REFRESH_AHEAD_SECONDS']);
  });

  it('rejects a secret and a parameter published under the same file name', () => {
    const issues = issuesOf({
      SECRET_SIDECAR_SECRETS: 'key=prod/x',
      SECRET_SIDECAR_PARAMETERS: 'key=/prod/x',
    });
    expect(issues.map((i) => i.variable)).toEqual(['SECRET_SIDECAR_PARAMETERS']);
  });

  it('requires a token for the SSRF guard', () => {
    expect(() => loadConfig({})).toThrow(/AWS_SESSION_TOKEN must be set/);
  });

  it('reports every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        ...BASE,
        SECRET_SIDECAR_TTL_SECONDS: 'x',
        SECRET_SIDECAR_HTTP_PORT: '99999',
        SECRET_SIDECAR_DIR: 'relative',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.issues.map((i) => i.variable).sort()).toEqual([
      'SECRET_SIDECAR_DIR',
      'SECRET_SIDECAR_HTTP_PORT',
      'SECRET_SIDECAR_TTL_SECONDS',
    ]);
    expect(e.message).toContain('SECRET_SIDECAR_TTL_SECONDS');
    expect(e.message).toContain('SECRET_SIDECAR_HTTP_PORT');
    expect(e.errorType).toBe('Extension.ConfigInvalid');
  });
});

describe("loadConfig: AWS's Parameters and Secrets extension variables", () => {
  it.each([
    ['PARAMETERS_SECRETS_EXTENSION_HTTP_PORT', '2775', { httpPort: 2775 }],
    ['SECRETS_MANAGER_TTL', '120', { secretsTtlMs: 120_000, parametersTtlMs: 300_000 }],
    ['SSM_PARAMETER_STORE_TTL', '0', { parametersTtlMs: 0, secretsTtlMs: 300_000 }],
    [
      'PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED',
      'false',
      { secretsTtlMs: 0, parametersTtlMs: 0 },
    ],
    ['PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED', 'true', { secretsTtlMs: 300_000 }],
    ['PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE', '0', { secretsTtlMs: 0, parametersTtlMs: 0 }],
    ['PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE', '250', { cacheSize: 250, secretsTtlMs: 300_000 }],
    ['PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS', '3', { upstreamMaxConnections: 3 }],
    ['PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS', '5000', { upstreamMaxConnections: 1024 }],
    [
      'SECRETS_MANAGER_TIMEOUT_MILLIS',
      '0',
      { secretsTimeoutMs: 60_000, parametersTimeoutMs: 2_000 },
    ],
    ['SSM_PARAMETER_STORE_TIMEOUT_MILLIS', '750', { parametersTimeoutMs: 750 }],
    ['PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL', 'debug', { logLevel: 'debug' }],
    ['PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL', 'none', { logLevel: 'none' }],
  ])('honours %s=%s', (variable, value, expected) => {
    const c = loadConfig({ ...BASE, [variable]: value });
    expect(c).toMatchObject(expected);
    expect(c.awsSettings.map((s) => s.variable)).toContain(variable);
  });

  it.each([
    [
      'SECRET_SIDECAR_HTTP_PORT',
      '2774',
      'PARAMETERS_SECRETS_EXTENSION_HTTP_PORT',
      '2775',
      { httpPort: 2774 },
    ],
    ['SECRET_SIDECAR_TTL_SECONDS', '30', 'SECRETS_MANAGER_TTL', '120', { secretsTtlMs: 30_000 }],
    [
      'SECRET_SIDECAR_SECRETS_TTL_SECONDS',
      '10',
      'SECRETS_MANAGER_TTL',
      '120',
      { secretsTtlMs: 10_000 },
    ],
    [
      'SECRET_SIDECAR_TTL_SECONDS',
      '30',
      'PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED',
      'false',
      { secretsTtlMs: 30_000 },
    ],
    [
      'SECRET_SIDECAR_CACHE_SIZE',
      '10',
      'PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE',
      '250',
      { cacheSize: 10 },
    ],
    [
      'SECRET_SIDECAR_UPSTREAM_MAX_CONNECTIONS',
      '8',
      'PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS',
      '3',
      { upstreamMaxConnections: 8 },
    ],
    [
      'SECRET_SIDECAR_UPSTREAM_TIMEOUT_MS',
      '500',
      'SECRETS_MANAGER_TIMEOUT_MILLIS',
      '0',
      { secretsTimeoutMs: 500 },
    ],
    [
      'SECRET_SIDECAR_LOG_LEVEL',
      'warn',
      'PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL',
      'debug',
      { logLevel: 'warn' },
    ],
  ])('lets %s=%s win over %s=%s and says so', (ours, oursValue, aws, awsValue, expected) => {
    const c = loadConfig({ ...BASE, [ours]: oursValue, [aws]: awsValue });
    expect(c).toMatchObject(expected);
    expect(c.awsSettings.find((s) => s.variable === aws)?.effect).toContain('ignored');
  });

  it.each([
    ['SECRETS_MANAGER_TTL', '301', 'integer from 0 to 300'],
    ['SSM_PARAMETER_STORE_TTL', '-1', 'integer from 0 to 300'],
    ['PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE', '1001', 'integer from 0 to 1000'],
    ['PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED', 'perhaps', 'true or false'],
    ['PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS', '0', 'integer from 1 to 100000'],
    ['PARAMETERS_SECRETS_EXTENSION_HTTP_PORT', '0', 'integer from 1 to 65535'],
    ['SECRETS_MANAGER_TIMEOUT_MILLIS', '-5', 'integer from 0 to 60000'],
    ['PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL', 'trace', 'debug, info, warn, error, none'],
  ])(
    'rejects %s=%s like our own variables, naming it and what is allowed',
    (variable, value, allowed) => {
      const issues = issuesOf({ [variable]: value });
      expect(issues).toEqual([{ variable, problem: expect.stringContaining(allowed) }]);
    },
  );

  it('says what each honoured variable did', () => {
    const c = loadConfig({
      ...BASE,
      SECRETS_MANAGER_TIMEOUT_MILLIS: '0',
      SECRETS_MANAGER_TTL: '60',
    });
    expect(c.awsSettings).toEqual(
      expect.arrayContaining([
        {
          variable: 'SECRETS_MANAGER_TIMEOUT_MILLIS',
          setTo: '0',
          effect: expect.stringContaining('0 = no timeout; our largest bound'),
        },
        { variable: 'SECRETS_MANAGER_TTL', setTo: '60', effect: 'secrets TTL 60 s' },
      ]),
    );
  });
});
