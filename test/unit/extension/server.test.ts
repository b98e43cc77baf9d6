import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheRead } from '../../../extension/cache.ts';
import type { ParameterRequest, ParameterValue } from '../../../extension/parameter-source.ts';
import type { SecretRequest, SecretValue } from '../../../extension/secret-source.ts';
import { CACHE_HEADER, SidecarServer } from '../../../extension/server.ts';
import { TokenGuard } from '../../../extension/token.ts';
import { ErrorCode, SidecarError } from '../../../shared/errors.ts';
import { Logger } from '../../../shared/logger.ts';

const TOKEN = 'session-token-for-tests';
const SECRET = 'sk-CANARY-server-secret-value';

const secretValue: SecretValue = {
  arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ok-AbCdEf',
  name: 'ok',
  versionId: 'v-1',
  versionStages: ['AWSCURRENT'],
  secretString: SECRET,
  secretBinary: undefined,
  createdDate: 1_700_000_000_500,
};

const failures: Record<string, () => Error> = {
  notfound: () =>
    new SidecarError(ErrorCode.NotFound, 'Secrets Manager "notfound" was not found', {
      errorType: 'ResourceNotFoundException',
    }),
  denied: () =>
    new SidecarError(ErrorCode.AccessDenied, 'access was denied', {
      errorType: 'AccessDeniedException',
    }),
  throttled: () =>
    new SidecarError(ErrorCode.Throttled, 'throttled', { errorType: 'ThrottlingException' }),
  down: () =>
    new SidecarError(ErrorCode.UpstreamUnavailable, 'Secrets Manager is unavailable', {
      errorType: 'ConnectionError',
      cause: new Error(`socket hang up near ${SECRET}`),
    }),
  slow: () =>
    new SidecarError(ErrorCode.UpstreamTimeout, 'Secrets Manager did not answer in time', {
      errorType: 'TimeoutError',
    }),
  boom: () => new Error(`internal detail ${SECRET}`),
};

let release: () => void = () => undefined;
const gate = () =>
  new Promise<void>((r) => {
    release = r;
  });
let holding: Promise<void> | undefined;
const seen: { secret: SecretRequest[]; param: ParameterRequest[]; refreshNow: boolean[] } = {
  secret: [],
  param: [],
  refreshNow: [],
};

const store = {
  peekFreshSecret: (r: SecretRequest) =>
    r.secretId === 'cached'
      ? { value: { ...secretValue, name: 'cached' }, fetchedAt: 1, expiresAt: 2 }
      : undefined,
  peekFreshParameter: () => undefined,
  async getSecret(r: SecretRequest, o?: { refreshNow?: boolean }): Promise<CacheRead<SecretValue>> {
    seen.secret.push(r);
    seen.refreshNow.push(o?.refreshNow ?? false);
    if (r.secretId === 'block') await holding;
    const fail = failures[r.secretId];
    if (fail) throw fail();
    return { entry: { value: secretValue, fetchedAt: 1, expiresAt: 2 }, outcome: 'hit' };
  },
  async getParameter(r: ParameterRequest): Promise<CacheRead<ParameterValue>> {
    seen.param.push(r);
    return {
      entry: {
        value: {
          name: r.name,
          type: 'SecureString',
          value: 'param-value',
          version: 3,
          arn: `arn:aws:ssm:us-east-1:123456789012:parameter${r.name}`,
          lastModifiedDate: 1_700_000_000_000,
          dataType: 'text',
          selector: undefined,
        },
        fetchedAt: 1,
        expiresAt: 2,
      },
      outcome: 'miss',
    };
  },
};

const logs: string[] = [];
const T0 = { 'X-Aws-Parameters-Secrets-Token': TOKEN };
let server: SidecarServer;
let port: number;

beforeAll(async () => {
  server = new SidecarServer({
    store,
    token: new TokenGuard(TOKEN),
    logger: new Logger({ service: 'test', sink: (l) => logs.push(l), level: 'debug' }),
    maxConnections: 2,
  });
  port = await server.listen(0);
});
afterAll(async () => {
  await server.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(path: string, opts: { method?: string; headers?: Record<string, string> } = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        agent: false,
        headers: opts.headers ?? { 'X-Aws-Parameters-Secrets-Token': TOKEN },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('SidecarServer', () => {
  it('answers GetSecretValue JSON for a secret', async () => {
    const res = await call('/secretsmanager/get?secretId=ok');
    expect(res.status).toBe(200);
    expect(res.headers[CACHE_HEADER]).toBe('hit');
    expect(JSON.parse(res.body)).toEqual({
      ARN: secretValue.arn,
      Name: 'ok',
      VersionId: 'v-1',
      SecretString: SECRET,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 1_700_000_000.5,
      ResultMetadata: {},
    });
  });

  it('passes versionStage and refreshNow through to the store', async () => {
    await call('/secretsmanager/get?secretId=ok&versionStage=AWSPREVIOUS&refreshNow=true');
    expect(seen.secret.at(-1)).toEqual({
      secretId: 'ok',
      versionId: undefined,
      versionStage: 'AWSPREVIOUS',
    });
    expect(seen.refreshNow.at(-1)).toBe(true);
  });

  it('answers GetParameter JSON for a parameter, with a trailing slash on the path', async () => {
    const res = await call(
      `/systemsmanager/parameters/get/?name=${encodeURIComponent('/app/key')}&withDecryption=true&version=3`,
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      Parameter: {
        Name: '/app/key',
        Type: 'SecureString',
        Value: 'param-value',
        Version: 3,
        ARN: 'arn:aws:ssm:us-east-1:123456789012:parameter/app/key',
        LastModifiedDate: 1_700_000_000,
        DataType: 'text',
      },
      ResultMetadata: {},
    });
    expect(seen.param.at(-1)).toEqual({
      name: '/app/key',
      withDecryption: true,
      version: 3,
      label: undefined,
    });
  });

  it('ignores a query parameter it does not define (a cache-buster), logging it at debug', async () => {
    const res = await call('/secretsmanager/get?secretId=ok&_=1700000000&cb=x', { headers: T0 });
    expect(res.status).toBe(200);
    expect(seen.secret.at(-1)?.secretId).toBe('ok');
    expect(
      logs.some((l) => l.includes('ignored unknown query parameters') && l.includes('"cb"')),
    ).toBe(true);
  });

  it.each([
    ['version first', 'version=1&label=x', { version: 1, label: undefined }],
    ['label first', 'label=x&version=1', { version: undefined, label: 'x' }],
  ])(
    'lets the first of version and label win (%s), as AWS documents',
    async (_, query, expected) => {
      const res = await call(`/systemsmanager/parameters/get?name=a&${query}`, { headers: T0 });
      expect(res.status).toBe(200);
      expect(seen.param.at(-1)).toMatchObject(expected);
    },
  );

  it('answers /ping without a token', async () => {
    const res = await call('/ping', { headers: {} });
    expect(res).toMatchObject({ status: 200, body: 'healthy' });
  });

  const T = T0;
  it.each([
    ['missing secretId', '/secretsmanager/get', T, 400, 'BadRequest', 'missing parameter secretId'],
    ['empty secretId', '/secretsmanager/get?secretId=', T, 400, 'BadRequest', 'secretId'],
    [
      'repeated parameter',
      '/secretsmanager/get?secretId=ok&secretId=x',
      T,
      400,
      'BadRequest',
      'more than once',
    ],
    [
      'versionId and versionStage',
      '/secretsmanager/get?secretId=ok&versionId=a&versionStage=b',
      T,
      400,
      'BadRequest',
      'not both',
    ],
    [
      'bad refreshNow',
      '/secretsmanager/get?secretId=ok&refreshNow=yes',
      T,
      400,
      'BadRequest',
      'refreshNow must be true or false',
    ],
    [
      'missing name',
      '/systemsmanager/parameters/get',
      T,
      400,
      'BadRequest',
      'missing parameter name',
    ],
    [
      'bad version',
      '/systemsmanager/parameters/get?name=a&version=abc',
      T,
      400,
      'BadRequest',
      'positive integer',
    ],
    [
      'bad withDecryption',
      '/systemsmanager/parameters/get?name=a&withDecryption=maybe',
      T,
      400,
      'BadRequest',
      'withDecryption',
    ],
    [
      'X-Forwarded-For',
      '/secretsmanager/get?secretId=ok',
      { ...T, 'X-Forwarded-For': '10.0.0.1' },
      400,
      'BadRequest',
      'X-Forwarded-For',
    ],
    ['no token', '/secretsmanager/get?secretId=ok', {}, 401, 'Unauthorized', 'missing header'],
    [
      'wrong token',
      '/secretsmanager/get?secretId=ok',
      { 'X-Aws-Parameters-Secrets-Token': 'nope' },
      403,
      'Forbidden',
      'wrong value',
    ],
    ['unknown path', '/v1/ok', T, 404, 'NotFound', 'no route'],
    [
      'unknown secret',
      '/secretsmanager/get?secretId=notfound',
      T,
      404,
      'ResourceNotFoundException',
      'not found',
    ],
    [
      'access denied',
      '/secretsmanager/get?secretId=denied',
      T,
      403,
      'AccessDeniedException',
      'denied',
    ],
    [
      'throttling without stale value',
      '/secretsmanager/get?secretId=throttled',
      T,
      429,
      'ThrottlingException',
      'throttled',
    ],
    [
      'upstream unavailable',
      '/secretsmanager/get?secretId=down',
      T,
      502,
      'ConnectionError',
      'unavailable',
    ],
    ['upstream timeout', '/secretsmanager/get?secretId=slow', T, 504, 'TimeoutError', 'in time'],
  ] as const)('answers %s with %i', async (_what, path, headers, status, type, message) => {
    const res = await call(path, { headers });
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('application/json');
    const body = JSON.parse(res.body) as { __type: string; message: string };
    expect(body.__type).toBe(type);
    expect(body.message).toContain(message);
    expect(res.body).not.toContain('at ');
    expect(res.body).not.toContain(SECRET);
  });

  it('answers a non-GET with 405 and an Allow header', async () => {
    const res = await call('/secretsmanager/get?secretId=ok', { method: 'POST', headers: T });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET');
    expect(JSON.parse(res.body).__type).toBe('MethodNotAllowed');
  });

  it('answers an unexpected failure with a bare 500 InternalFailure', async () => {
    const res = await call('/secretsmanager/get?secretId=boom');
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ __type: 'InternalFailure' });
  });

  it('answers 429 beyond the concurrency cap', async () => {
    holding = gate();
    const held = [
      call('/secretsmanager/get?secretId=block'),
      call('/secretsmanager/get?secretId=block'),
    ];
    while (seen.secret.filter((r) => r.secretId === 'block').length < 2) {
      await new Promise((r) => setImmediate(r));
    }
    const over = await call('/secretsmanager/get?secretId=ok');
    release();
    holding = undefined;
    expect(over.status).toBe(429);
    expect(JSON.parse(over.body).__type).toBe('TooManyRequestsException');
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200]);
  });

  it('answers cached reads and /ping while uncached reads fill the cap', async () => {
    holding = gate();
    const before = seen.secret.length;
    const held = [
      call('/secretsmanager/get?secretId=block'),
      call('/secretsmanager/get?secretId=block'),
    ];
    while (seen.secret.slice(before).filter((r) => r.secretId === 'block').length < 2) {
      await new Promise((r) => setImmediate(r));
    }
    const cached = await call('/secretsmanager/get?secretId=cached');
    const ping = await call('/ping', { headers: {} });
    release();
    holding = undefined;
    expect(cached.status).toBe(200);
    expect(cached.headers[CACHE_HEADER]).toBe('hit');
    expect(JSON.parse(cached.body).Name).toBe('cached');
    expect(ping.status).toBe(200);
    // The cached read never reached the store's waiting path.
    expect(seen.secret.slice(before).map((r) => r.secretId)).toEqual(['block', 'block']);
    await Promise.all(held);
  });

  it('answers 431 to an oversized header block', async () => {
    const res = await call('/secretsmanager/get?secretId=ok', {
      headers: { ...T, 'x-big': 'a'.repeat(20_000) },
    });
    expect(res.status).toBe(431);
  });

  it('never logs a secret value or the token', () => {
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(TOKEN);
    }
  });

  it('fails to listen on a port in use with Extension.PortUnavailable', async () => {
    const other = new SidecarServer({
      store,
      token: new TokenGuard(TOKEN),
      logger: new Logger({ service: 'test', sink: () => undefined }),
      maxConnections: 1,
    });
    await expect(other.listen(port)).rejects.toMatchObject({
      errorType: 'Extension.PortUnavailable',
      message: expect.stringContaining(String(port)),
    });
  });

  it('listens on 127.0.0.1 only', async () => {
    const { networkInterfaces } = await import('node:os');
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) return;
    const refused = await new Promise<boolean>((resolve) => {
      const req = request({ host: external.address, port, path: '/ping', agent: false }, () =>
        resolve(false),
      );
      req.on('error', () => resolve(true));
      req.end();
    });
    expect(refused).toBe(true);
  });
});
