/** Parsing of the rotation event, the secret value and the function's environment. */
import { describe, expect, it } from 'vitest';
import { loadRotationConfig } from '../../../rotation/config.ts';
import { parseRotationEvent } from '../../../rotation/event.ts';
import { ConfigError } from '../../../shared/errors.ts';
import { parseProviderSecret } from '../../../shared/provider-secret.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:openai-AbCdEf';
const TOKEN = '2f1a6c5e-3b7d-4e8f-9a0b-1c2d3e4f5a6b';

/** A RotationToken of the shape PutSecretValue accepts. */
const ROTATION_TOKEN = 'a1b2c3d4-0000-4000-8000-1234567890ab-rt';

describe('the rotation event', () => {
  it.each([36, 256])('accepts a RotationToken of %i characters', (n) => {
    const RotationToken = 'A-9'.repeat(100).slice(0, n);
    expect(
      parseRotationEvent({
        Step: 'setSecret',
        SecretId: ARN,
        ClientRequestToken: TOKEN,
        RotationToken,
      }).rotationToken,
    ).toBe(RotationToken);
  });

  it('parses the four fields, RotationToken optional', () => {
    expect(
      parseRotationEvent({ Step: 'createSecret', SecretId: ARN, ClientRequestToken: TOKEN }),
    ).toEqual({ step: 'createSecret', secretId: ARN, token: TOKEN, rotationToken: undefined });
    expect(
      parseRotationEvent({
        Step: 'finishSecret',
        SecretId: ARN,
        ClientRequestToken: TOKEN,
        RotationToken: ROTATION_TOKEN,
      }).rotationToken,
    ).toBe(ROTATION_TOKEN);
  });

  it.each<[unknown, string]>([
    [null, 'rotation event must be a JSON object'],
    [
      { SecretId: ARN, ClientRequestToken: TOKEN },
      'Step must be one of createSecret, setSecret, testSecret, finishSecret, got undefined',
    ],
    [{ Step: 'create_secret', SecretId: ARN, ClientRequestToken: TOKEN }, 'got "create_secret"'],
    [{ Step: 'createSecret', ClientRequestToken: TOKEN }, 'SecretId must be a string, got nothing'],
    [
      { Step: 'createSecret', SecretId: ARN, ClientRequestToken: 'short' },
      'ClientRequestToken must be 32 to 64 printable ASCII characters',
    ],
    [
      { Step: 'createSecret', SecretId: `${ARN}\n`, ClientRequestToken: TOKEN },
      'SecretId must be 1 to 2048 printable ASCII characters',
    ],
    ...[5, 'a'.repeat(35), 'a'.repeat(257), `${'a'.repeat(40)}_x`].map(
      (RotationToken): [unknown, string] => [
        { Step: 'createSecret', SecretId: ARN, ClientRequestToken: TOKEN, RotationToken },
        'RotationToken must be 36 to 256 characters of letters, digits and "-" when present',
      ],
    ),
  ])('rejects %j with a message naming the field', (input, message) => {
    expect(() => parseRotationEvent(input)).toThrow(message);
  });

  it('never echoes a bad RotationToken', () => {
    const bad = 'secret-rotation-token\u0001';
    expect(() =>
      parseRotationEvent({
        Step: 'setSecret',
        SecretId: ARN,
        ClientRequestToken: TOKEN,
        RotationToken: bad,
      }),
    ).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret-rotation-token') }),
    );
  });
});

describe('the secret value', () => {
  it('accepts the documented shape and keeps extra fields', () => {
    const v = parseProviderSecret(
      JSON.stringify({
        provider: 'openai',
        apiKey: 'sk-x',
        keyId: 'key_1',
        model: 'gpt',
        team: 'a',
      }),
      'AWSCURRENT',
    );
    expect(v).toMatchObject({ provider: 'openai', keyId: 'key_1', team: 'a' });
  });

  it.each([
    ['not json', 'the SecretString must be a JSON object'],
    [
      JSON.stringify({ provider: 'azure', apiKey: 'k' }),
      'provider must be one of openai, google, anthropic, random',
    ],
    [JSON.stringify({ provider: 'openai' }), 'apiKey must be a non-empty string'],
    [
      JSON.stringify({ provider: 'openai', apiKey: 'k', keyId: '' }),
      'keyId must be a non-empty string',
    ],
    [
      JSON.stringify({ provider: 'openai', apiKey: 'k', baseURL: 'ftp://x' }),
      'baseURL must be an http:// or https:// URL',
    ],
    [
      JSON.stringify({ provider: 'openai', apiKey: 'k', retires: { keyId: 'x' } }),
      'retires must be',
    ],
  ])('rejects %s', (raw, message) => {
    expect(() => parseProviderSecret(raw, 'secret version AWSCURRENT')).toThrow(message);
  });

  it('never puts the key in the error', () => {
    const raw = JSON.stringify({ provider: 'nope', apiKey: 'sk-canary-0123456789abcdef' });
    expect(() => parseProviderSecret(raw, 'AWSPENDING')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('canary') }),
    );
  });
});

describe('the environment', () => {
  it('has documented defaults', () => {
    expect(loadRotationConfig({ AWS_LAMBDA_FUNCTION_NAME: 'rot' })).toEqual({
      adminSecretArn: undefined,
      keyPoolSecretArn: undefined,
      keyPoolLowWatermark: 2,
      testAttempts: 5,
      testBackoffMs: 1000,
      logLevel: 'info',
      functionName: 'rot',
      httpTimeoutMs: 10_000,
    });
  });

  it('lets AWS_LAMBDA_LOG_LEVEL win over ROTATION_LOG_LEVEL', () => {
    expect(
      loadRotationConfig({ ROTATION_LOG_LEVEL: 'debug', AWS_LAMBDA_LOG_LEVEL: 'WARN' }).logLevel,
    ).toBe('warn');
  });

  it.each([
    [
      'ROTATION_ADMIN_SECRET_ARN',
      'arn:aws:s3:::bucket',
      'must be a Secrets Manager secret ARN or name',
    ],
    ['ROTATION_KEY_POOL_SECRET_ARN', 'has spaces', 'must be a Secrets Manager secret ARN or name'],
    ['ROTATION_KEY_POOL_LOW_WATERMARK', '-1', 'must be an integer from 0 to 1000'],
    ['ROTATION_TEST_ATTEMPTS', '0', 'must be an integer from 1 to 20'],
    ['ROTATION_TEST_BACKOFF_MS', 'soon', 'must be an integer from 0 to 60000'],
    ['ROTATION_LOG_LEVEL', 'loud', 'must be one of debug, info, warn, error, none'],
  ])('rejects %s=%s', (name, value, problem) => {
    expect(() => loadRotationConfig({ [name]: value })).toThrow(`${name} ${problem}`);
  });

  it('reports every bad variable at once', () => {
    try {
      loadRotationConfig({ ROTATION_TEST_ATTEMPTS: 'x', ROTATION_TEST_BACKOFF_MS: 'y' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues.map((i) => i.variable)).toEqual([
        'ROTATION_TEST_ATTEMPTS',
        'ROTATION_TEST_BACKOFF_MS',
      ]);
    }
  });

  it('accepts ARNs and names for the secrets', () => {
    const c = loadRotationConfig({
      ROTATION_ADMIN_SECRET_ARN: ARN,
      ROTATION_KEY_POOL_SECRET_ARN: 'prod/anthropic/pool',
    });
    expect(c.adminSecretArn).toBe(ARN);
    expect(c.keyPoolSecretArn).toBe('prod/anthropic/pool');
  });
});
