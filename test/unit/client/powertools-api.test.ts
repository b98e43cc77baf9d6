/**
 * The Powertools-compatible functions over the process-wide client, which is configured
 * the way a function moving from AWS's extension would be: only AWS's port variable and
 * a container authorization token (no AWS_SESSION_TOKEN).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  clearCaches,
  GetParameterError,
  getParameter,
  getParameters,
  getParametersByName,
  getSecret,
  getSecrets,
  TransformParameterError,
} from '../../../client/src/index.ts';
import { FakeSidecar, tempSecretDir } from '../../support/inference/fake-sidecar.ts';

let sidecar: FakeSidecar;
let tmp: ReturnType<typeof tempSecretDir>;

beforeAll(async () => {
  sidecar = await new FakeSidecar('container-token-for-tests').start();
  tmp = tempSecretDir();
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  vi.stubEnv('AWS_CONTAINER_AUTHORIZATION_TOKEN', sidecar.token);
  vi.stubEnv('PARAMETERS_SECRETS_EXTENSION_HTTP_PORT', String(sidecar.port));
  vi.stubEnv('SECRET_SIDECAR_HTTP_PORT', '');
  vi.stubEnv('SECRET_SIDECAR_DIR', tmp.dir);
  vi.stubEnv('POWERTOOLS_PARAMETERS_MAX_AGE', '60');
  vi.stubEnv('POWERTOOLS_PARAMETERS_SSM_DECRYPT', 'true');
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await sidecar.stop();
  tmp.cleanup();
});

describe('Powertools-compatible functions', () => {
  it('getSecret answers the SecretString, through AWS variable names only', async () => {
    sidecar.secrets.set('plain', { versionId: 'v1', value: 'plain-text-secret' });
    await expect(getSecret('plain')).resolves.toBe('plain-text-secret');
    expect(sidecar.requests.at(-1)).toMatchObject({ secretId: 'plain', tokenOk: true });
  });

  it("getSecret with transform 'json' parses, and returns the same object while the version holds", async () => {
    sidecar.secrets.set('json', { versionId: 'v1', value: '{"apiKey":"k-1","n":2}' });
    const first = await getSecret<{ apiKey: string; n: number }>('json', { transform: 'json' });
    const again = await getSecret<{ apiKey: string; n: number }>('json', { transform: 'json' });
    expect(first).toEqual({ apiKey: 'k-1', n: 2 });
    expect(again).toBe(first);
  });

  it("getSecret with transform 'binary' decodes base64 text", async () => {
    sidecar.secrets.set('b64', {
      versionId: 'v1',
      value: Buffer.from('decoded!').toString('base64'),
    });
    await expect(getSecret('b64', { transform: 'binary' })).resolves.toBe('decoded!');
  });

  it('getSecret rejects a bad transform with TransformParameterError, without quoting the value', async () => {
    sidecar.secrets.set('notjson', { versionId: 'v1', value: 'CANARY-not-json' });
    const err = await getSecret('notjson', { transform: 'json' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransformParameterError);
    expect(String((err as Error).message)).not.toContain('CANARY');
  });

  it('getSecret reuses its value for maxAge seconds, and forceFetch asks AWS through the extension', async () => {
    sidecar.secrets.set('rotating', { versionId: 'v1', value: 'old' });
    await expect(getSecret('rotating')).resolves.toBe('old');
    sidecar.secrets.set('rotating', { versionId: 'v2', value: 'new' });
    await expect(getSecret('rotating')).resolves.toBe('old');
    await expect(getSecret('rotating', { forceFetch: true })).resolves.toBe('new');
    expect(sidecar.requests.at(-1)).toMatchObject({ secretId: 'rotating', refreshNow: true });
  });

  it('getSecret passes sdkOptions.VersionStage on', async () => {
    sidecar.secrets.set('staged', { versionId: 'v9', value: 'any' });
    await getSecret('staged', { sdkOptions: { VersionStage: 'AWSPREVIOUS' } });
    expect(sidecar.requests.at(-1)?.query).toBe('?secretId=staged&versionStage=AWSPREVIOUS');
    await getSecret('staged', { sdkOptions: { VersionId: 'v9' } });
    expect(sidecar.requests.at(-1)?.query).toBe('?secretId=staged&versionId=v9');
  });

  it('getSecret fails with GetParameterError NOT_FOUND for a missing secret', async () => {
    const err = await getSecret('missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GetParameterError);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('getParameter decrypts by POWERTOOLS_PARAMETERS_SSM_DECRYPT and parses json', async () => {
    sidecar.parameters.set('/app/config', { version: 2, value: '{"flag":true}' });
    await expect(getParameter('/app/config', { transform: 'json' })).resolves.toEqual({
      flag: true,
    });
    expect(sidecar.parameterQueries.at(-1)).toContain('withDecryption=true');
    await getParameter('/app/config', { decrypt: false, forceFetch: true });
    expect(sidecar.parameterQueries.at(-1)).not.toContain('withDecryption');
  });

  it('getParametersByName reads in parallel and lists failures under _errors when asked to', async () => {
    sidecar.parameters.set('/a', { version: 1, value: 'A' });
    sidecar.parameters.set('/b', { version: 1, value: '{"b":1}' });
    const out = await getParametersByName(
      { '/a': {}, '/b': { transform: 'json' }, '/missing': {} },
      { throwOnError: false },
    );
    expect(out).toEqual({ '/a': 'A', '/b': { b: 1 }, _errors: ['/missing'] });
    await expect(getParametersByName({ '/a': {}, '/missing': {} })).rejects.toBeInstanceOf(
      GetParameterError,
    );
  });

  it('getSecrets batches secrets the same way', async () => {
    sidecar.secrets.set('s1', { versionId: 'v1', value: 'one' });
    const out = await getSecrets(['s1', 'nope'], { throwOnError: false });
    expect(out).toEqual({ s1: 'one', _errors: ['nope'] });
  });

  it('refuses a parameter named _errors in graceful mode, as Powertools does', async () => {
    await expect(getParametersByName({ _errors: {} }, { throwOnError: false })).rejects.toThrow(
      'You cannot fetch a parameter named _errors in graceful error mode.',
    );
  });

  it('getParameters(path) says the extension cannot serve a path read, and what to use instead', async () => {
    await expect(getParameters('/app/')).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('GetParametersByPath'),
    });
  });

  it('clearCaches forgets values, so the next read asks again', async () => {
    sidecar.secrets.set('cleared', { versionId: 'v1', value: 'first' });
    await getSecret('cleared');
    sidecar.secrets.set('cleared', { versionId: 'v2', value: 'second' });
    clearCaches();
    await expect(getSecret('cleared')).resolves.toBe('second');
  });
});
