import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  inject,
  it,
  vi,
} from 'vitest';
import { SecretsManagerSource } from '../../../extension/secrets-manager-source.ts';
import { SsmParameterSource } from '../../../extension/ssm-parameter-source.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import { FaultProxy } from '../../../tools/fakes/fault-proxy.ts';
import { AWS_TEST_ENV, MotoSeed, uniqueName } from '../../support/extension/aws.ts';

const moto = inject('motoEndpoint');
let proxy: FaultProxy;
let seed: MotoSeed;

beforeAll(async () => {
  proxy = await FaultProxy.start(moto);
  seed = new MotoSeed(moto);
});
afterAll(async () => {
  seed.close();
  await proxy.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
});
beforeEach(() => {
  for (const [k, v] of Object.entries(AWS_TEST_ENV)) vi.stubEnv(k, v);
  proxy.setMode({ kind: 'pass' });
});

describe('SecretsManagerSource', () => {
  let source: SecretsManagerSource;
  beforeEach(() => {
    source = new SecretsManagerSource({ timeoutMs: 1_500, endpoint: proxy.endpoint });
  });
  afterEach(() => source.close());

  it('fetches the AWSCURRENT string value with its ids', async () => {
    const name = uniqueName('src-string');
    const created = await seed.createSecret(name, 'sk-string-value');
    const v = await source.get({ secretId: name });
    expect(v).toMatchObject({
      arn: created.arn,
      name,
      versionId: created.versionId,
      versionStages: ['AWSCURRENT'],
      secretString: 'sk-string-value',
      secretBinary: undefined,
    });
  });

  it('fetches a binary value as bytes', async () => {
    const name = uniqueName('src-binary');
    await seed.createSecret(name, new Uint8Array([0, 1, 2, 250]));
    const v = await source.get({ secretId: name });
    expect(v.secretString).toBeUndefined();
    expect([...(v.secretBinary ?? [])]).toEqual([0, 1, 2, 250]);
  });

  it('fetches a previous version by stage and by version id', async () => {
    const name = uniqueName('src-stages');
    const first = await seed.createSecret(name, 'one');
    await seed.putSecret(name, 'two');
    expect((await source.get({ secretId: name, versionStage: 'AWSPREVIOUS' })).secretString).toBe(
      'one',
    );
    expect((await source.get({ secretId: name, versionId: first.versionId })).secretString).toBe(
      'one',
    );
  });

  it('describes which version holds which stage', async () => {
    const name = uniqueName('src-describe');
    const first = await seed.createSecret(name, 'one');
    const second = await seed.putSecret(name, 'two');
    const d = await source.describe(name);
    expect(d.versionIdsToStages[second]).toContain('AWSCURRENT');
    expect(d.versionIdsToStages[first.versionId]).toContain('AWSPREVIOUS');
  });

  it.each([
    ['a missing secret', undefined, ErrorCode.NotFound, 'ResourceNotFoundException'],
    ['access denied', { kind: 'access-denied' }, ErrorCode.AccessDenied, 'AccessDeniedException'],
    ['throttling', { kind: 'throttle' }, ErrorCode.Throttled, 'ThrottlingException'],
    [
      'a 500',
      { kind: 'status', status: 500 },
      ErrorCode.UpstreamUnavailable,
      'InternalServiceError',
    ],
    ['a 503', { kind: 'status', status: 503 }, ErrorCode.UpstreamUnavailable, 'ConnectionError'],
    ['a connection reset', { kind: 'reset' }, ErrorCode.UpstreamUnavailable, 'ConnectionError'],
    ['a slow answer', { kind: 'delay', ms: 5_000 }, ErrorCode.UpstreamTimeout, 'TimeoutError'],
  ] as const)('maps %s to %s', async (_what, mode, code, errorType) => {
    const name = uniqueName('src-error');
    if (mode) {
      await seed.createSecret(name, 'value');
      proxy.setMode(mode);
    }
    const err = await source.get({ secretId: name }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code, errorType });
    expect((err as Error).message).not.toContain('injected');
  });
});

describe('SsmParameterSource', () => {
  let source: SsmParameterSource;
  beforeEach(() => {
    source = new SsmParameterSource({ timeoutMs: 500, endpoint: proxy.endpoint });
  });
  afterEach(() => source.close());

  it('fetches a String parameter', async () => {
    const name = `/${uniqueName('src')}/plain`;
    await seed.putParameter(name, 'gpt-x', 'String');
    const v = await source.get({ name, withDecryption: false });
    expect(v).toMatchObject({ name, type: 'String', value: 'gpt-x', version: 1, dataType: 'text' });
    expect(v.arn).toContain(name);
  });

  it('decrypts a SecureString parameter', async () => {
    const name = `/${uniqueName('src')}/secure`;
    await seed.putParameter(name, 'sk-secure-value', 'SecureString');
    const v = await source.get({ name, withDecryption: true });
    expect(v).toMatchObject({ type: 'SecureString', value: 'sk-secure-value' });
  });

  it('fetches a given version', async () => {
    const name = `/${uniqueName('src')}/versioned`;
    await seed.putParameter(name, 'v1', 'String');
    await seed.putParameter(name, 'v2', 'String');
    const v = await source.get({ name, withDecryption: false, version: 1 });
    expect(v.value).toBe('v1');
  });

  it('maps a missing parameter to NotFound', async () => {
    const err = await source
      .get({ name: `/${uniqueName('src')}/missing`, withDecryption: true })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.NotFound, errorType: 'ParameterNotFound' });
  });
});
