import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SidecarClient } from '../../../client/src/client.ts';
import { ManualClock } from '../../../shared/clock.ts';
import { ErrorCode, SidecarError } from '../../../shared/errors.ts';
import { Redactor } from '../../../shared/redact.ts';
import { secretFileName } from '../../../shared/sidecar-protocol.ts';
import { FakeSidecar, tempSecretDir, writeEnvelope } from '../../support/inference/fake-sidecar.ts';
import { freePort } from '../../support/moto.ts';

const V1 = { versionId: 'v-0001', value: '{"apiKey":"sk-version-one-aaaaaaaa"}' };
const V2 = { versionId: 'v-0002', value: '{"apiKey":"sk-version-two-bbbbbbbb"}' };

describe('SidecarClient', () => {
  let sidecar: FakeSidecar;
  let tmp: ReturnType<typeof tempSecretDir>;
  let clock: ManualClock;

  beforeEach(async () => {
    sidecar = await new FakeSidecar().start();
    tmp = tempSecretDir();
    clock = new ManualClock();
  });

  afterEach(async () => {
    await sidecar.stop();
    tmp.cleanup();
  });

  function client(extra: ConstructorParameters<typeof SidecarClient>[0] = {}): SidecarClient {
    return new SidecarClient({
      dir: tmp.dir,
      port: sidecar.port,
      token: sidecar.token,
      now: () => clock.now(),
      redactor: false,
      ...extra,
    });
  }

  async function failure(p: Promise<unknown>): Promise<SidecarError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SidecarError);
    return err as SidecarError;
  }

  describe('file envelope', () => {
    it('reads a fresh file envelope without calling the HTTP endpoint', async () => {
      writeEnvelope(tmp.dir, 'provider', V1, clock.now() + 60_000);

      const secret = await client().getSecret('provider');

      expect(secret).toMatchObject({ value: V1.value, versionId: 'v-0001', origin: 'file' });
      expect(sidecar.requests).toHaveLength(0);
    });

    it('falls back to HTTP when the file envelope is stale', async () => {
      writeEnvelope(tmp.dir, 'provider', V1, clock.now() - 1);
      sidecar.secrets.set('provider', V2);

      const secret = await client().getSecret('provider');

      expect(secret).toMatchObject({ value: V2.value, versionId: 'v-0002', origin: 'http' });
      expect(sidecar.requests).toEqual([
        { secretId: 'provider', refreshNow: false, tokenOk: true, query: '?secretId=provider' },
      ]);
    });

    it('falls back to HTTP when the file is missing', async () => {
      sidecar.secrets.set('provider', V1);

      const secret = await client().getSecret('provider');

      expect(secret.origin).toBe('http');
      expect(sidecar.requests).toHaveLength(1);
    });

    it('falls back to HTTP when the file is not a version-1 envelope', async () => {
      writeFileSync(join(tmp.dir, secretFileName('provider')), '{"version":2,"value":"x"}');
      sidecar.secrets.set('provider', V1);

      const secret = await client().getSecret('provider');

      expect(secret.origin).toBe('http');
    });

    it('reads the file of an ARN under its percent-encoded name', async () => {
      const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:provider-AbCdEf';
      writeEnvelope(tmp.dir, arn, V1, clock.now() + 60_000);

      const c = client();
      const secret = await c.getSecret(arn);

      expect(secret.value).toBe(V1.value);
      expect(c.filePath(arn)).toBe(join(tmp.dir, secretFileName(arn)));
    });

    it('works from the file without a session token', async () => {
      writeEnvelope(tmp.dir, 'provider', V1, clock.now() + 60_000);

      const secret = await client({ token: undefined }).getSecret('provider');

      expect(secret.value).toBe(V1.value);
    });
  });

  describe('memo', () => {
    it('returns the memoized value without touching file or endpoint inside the recheck window', async () => {
      const path = writeEnvelope(tmp.dir, 'provider', V1, clock.now() + 60_000);
      const c = client({ recheckMs: 1000 });
      const first = await c.getSecret('provider');
      rmSync(path);
      clock.advance(999);

      const second = await c.getSecret('provider');

      expect(second).toBe(first);
      expect(sidecar.requests).toHaveLength(0);
    });

    it('forgets an invalidated id: the next read looks at the file again', async () => {
      writeEnvelope(tmp.dir, 'provider', V1, clock.now() + 60_000);
      const c = client({ recheckMs: 60_000 });
      await c.getSecret('provider');
      writeEnvelope(tmp.dir, 'provider', V2, clock.now() + 120_000, clock.now() + 1);

      c.invalidate('provider');
      const secret = await c.getSecret('provider');

      expect(secret.versionId).toBe('v-0002');
    });

    it('answers the current version and a pinned stage from separate memo entries', async () => {
      writeEnvelope(tmp.dir, 'provider', V1, clock.now() + 60_000);
      sidecar.secrets.set('provider', V2);
      const c = client({ recheckMs: 60_000 });

      const current = await c.getSecret('provider');
      const previous = await c.getSecret('provider', { versionStage: 'AWSPREVIOUS' });
      const again = await c.getSecret('provider', {});

      expect([current.versionId, previous.versionId, again.versionId]).toEqual([
        V1.versionId,
        V2.versionId,
        V1.versionId,
      ]);
    });

    it('keeps the same object when a later check finds the same versionId', async () => {
      sidecar.secrets.set('provider', V1);
      const c = client({ recheckMs: 1000 });
      const first = await c.getSecret('provider');
      clock.advance(1000);

      const second = await c.getSecret('provider');

      expect(sidecar.requests).toHaveLength(2);
      expect(second).toBe(first);
    });

    it('picks up a new version written to the file after the recheck window', async () => {
      writeEnvelope(tmp.dir, 'provider', V1, clock.now() + 60_000);
      const c = client({ recheckMs: 1000 });
      await c.getSecret('provider');
      writeEnvelope(tmp.dir, 'provider', V2, clock.now() + 120_000, clock.now() + 1);
      clock.advance(1001);

      const secret = await c.getSecret('provider');

      expect(secret.versionId).toBe('v-0002');
    });

    it('never trusts the memo past the file envelope expiry', async () => {
      writeEnvelope(tmp.dir, 'provider', V1, clock.now() + 500);
      sidecar.secrets.set('provider', V2);
      const c = client({ recheckMs: 60_000 });
      await c.getSecret('provider');
      clock.advance(500);

      const secret = await c.getSecret('provider');

      expect(secret).toMatchObject({ versionId: 'v-0002', origin: 'http' });
    });

    it('shares one HTTP request between concurrent lookups', async () => {
      sidecar.secrets.set('provider', V1);
      const c = client();

      const [a, b] = await Promise.all([c.getSecret('provider'), c.getSecret('provider')]);

      expect(a).toBe(b);
      expect(sidecar.requests).toHaveLength(1);
    });

    it('registers each new value with the redactor', async () => {
      sidecar.secrets.set('provider', V1);
      const redactor = new Redactor();

      await client({ redactor }).getSecret('provider');

      expect(redactor.redactString('key is sk-version-one-aaaaaaaa')).toBe('key is [REDACTED]');
    });
  });

  describe('refresh', () => {
    it('asks the extension with refreshNow=true and replaces the memo', async () => {
      sidecar.secrets.set('provider', V2);
      sidecar.cached.set('provider', V1);
      const c = client();
      expect((await c.getSecret('provider')).versionId).toBe('v-0001');

      const refreshed = await c.refresh('provider');

      expect(refreshed.versionId).toBe('v-0002');
      expect(sidecar.requests.at(-1)).toEqual({
        secretId: 'provider',
        refreshNow: true,
        tokenOk: true,
        query: '?secretId=provider&refreshNow=true',
      });
      expect((await c.getSecret('provider')).versionId).toBe('v-0002');
    });

    it('keeps a refreshed version over an older file that the extension has not rewritten yet', async () => {
      writeEnvelope(tmp.dir, 'provider', V1, clock.now() + 60_000, clock.now() - 10_000);
      sidecar.secrets.set('provider', V2);
      const c = client({ recheckMs: 1000 });
      await c.getSecret('provider');
      await c.refresh('provider');
      clock.advance(1000);

      const secret = await c.getSecret('provider');

      expect(secret.versionId).toBe('v-0002');
    });

    it('skips a fresh file when refreshNow is requested', async () => {
      writeEnvelope(tmp.dir, 'provider', V1, clock.now() + 60_000);
      sidecar.secrets.set('provider', V2);

      const secret = await client().getSecret('provider', { refreshNow: true });

      expect(secret.versionId).toBe('v-0002');
    });
  });

  describe('HTTP failures', () => {
    it('retries while the extension is still starting, then succeeds', async () => {
      const port = await freePort();
      const late = new FakeSidecar();
      late.secrets.set('provider', V1);
      const c = client({ port, token: late.token, startupWaitMs: 10_000 });
      const pending = c.getSecret('provider');
      const started = new Promise<void>((resolve, reject) => {
        setTimeout(() => late.start(port).then(() => resolve(), reject), 150);
      });

      try {
        const secret = await pending;
        expect(secret.versionId).toBe('v-0001');
        expect(late.requests).toHaveLength(1);
      } finally {
        await started;
        await late.stop();
      }
    });

    it('gives up with UPSTREAM_UNAVAILABLE when the extension never starts', async () => {
      const port = await freePort();

      const err = await failure(client({ port, startupWaitMs: 100 }).getSecret('provider'));

      expect(err.code).toBe(ErrorCode.UpstreamUnavailable);
      expect(err.message).toMatch(/ECONNREFUSED after \d+ attempts/);
    });

    it('retries once after a connection reset', async () => {
      sidecar.secrets.set('provider', V1);
      sidecar.faults.push({ kind: 'reset' });

      const secret = await client().getSecret('provider');

      expect(secret.versionId).toBe('v-0001');
      expect(sidecar.requests).toHaveLength(2);
    });

    it('fails after a second connection reset', async () => {
      sidecar.faults.push({ kind: 'reset' }, { kind: 'reset' });

      const err = await failure(client().getSecret('provider'));

      expect(err.code).toBe(ErrorCode.UpstreamUnavailable);
      expect(sidecar.requests).toHaveLength(2);
    });

    it('times out with UPSTREAM_TIMEOUT when the extension does not answer', async () => {
      sidecar.faults.push({ kind: 'hang' });

      const err = await failure(client({ timeoutMs: 150 }).getSecret('provider'));

      expect(err.code).toBe(ErrorCode.UpstreamTimeout);
      expect(err.message).toContain('within 150 ms');
    });

    it('refuses to call HTTP without a session token', async () => {
      const err = await failure(client({ token: '' }).getSecret('provider'));

      expect(err.code).toBe(ErrorCode.ConfigInvalid);
      expect(err.message).toContain('AWS_SESSION_TOKEN');
      expect(sidecar.requests).toHaveLength(0);
    });

    it('maps a not-found answer to NOT_FOUND', async () => {
      const err = await failure(client().getSecret('missing'));

      expect(err.code).toBe(ErrorCode.NotFound);
      expect(err.errorType).toBe('ResourceNotFoundException');
    });

    it('maps a rejected token to FORBIDDEN', async () => {
      const err = await failure(client({ token: 'wrong' }).getSecret('provider'));

      expect(err.code).toBe(ErrorCode.Forbidden);
    });

    it.each([
      [400, '{"__type":"InvalidParameterException","message":"bad id"}', ErrorCode.BadRequest],
      [401, 'Unauthorized', ErrorCode.Unauthorized],
      [404, '{"__type":"ResourceNotFoundException","message":"gone"}', ErrorCode.NotFound],
      [429, 'Connection limit exceeded', ErrorCode.TooManyRequests],
      [500, '{"__type":"InternalFailure"}', ErrorCode.Internal],
      [502, '{"__type":"ConnectionError","message":"Read Error"}', ErrorCode.UpstreamUnavailable],
      [504, '{"__type":"TimeoutError","message":"Timeout"}', ErrorCode.UpstreamTimeout],
    ])('maps HTTP %i to a typed error', async (status, body, code) => {
      sidecar.faults.push({ kind: 'status', status, body });

      const err = await failure(client().getSecret('provider'));

      expect(err.code).toBe(code);
    });
  });

  describe('one wire contract', () => {
    it('never carries a response body in an error, even one echoing the token', async () => {
      sidecar.faults.push({
        kind: 'status',
        status: 400,
        body: JSON.stringify({ __type: 'BadRequest', message: `bad token ${sidecar.token}` }),
      });
      const err = await failure(client().getSecret('provider'));
      expect(err.message).not.toContain(sidecar.token);
      expect(err.message).not.toContain('bad token');
      expect(err).toMatchObject({ code: ErrorCode.BadRequest, errorType: 'BadRequest' });
    });

    it('keeps only an identifier-like error type from the body', async () => {
      sidecar.faults.push({
        kind: 'status',
        status: 502,
        body: JSON.stringify({ __type: 'x y <script>' }),
      });
      const err = await failure(client().getSecret('provider'));
      expect(err).toMatchObject({ code: ErrorCode.UpstreamUnavailable, errorType: 'HTTP502' });
    });

    it('never returns a parameter as a secret: a parameter file is not read for getSecret', async () => {
      writeEnvelope(tmp.dir, 'shared-name', V1, clock.now() + 60_000, undefined, 'ssm');
      const err = await failure(client().getSecret('shared-name'));
      expect(err.code).toBe(ErrorCode.NotFound);
      expect(sidecar.requests.at(-1)?.secretId).toBe('shared-name');
    });

    it('reads a parameter from its file when it is decrypted, and over HTTP otherwise', async () => {
      writeEnvelope(
        tmp.dir,
        'key',
        { versionId: '3', value: 'param-value-3' },
        clock.now() + 60_000,
        undefined,
        'ssm',
      );
      sidecar.parameters.set('key', { version: 3, value: 'param-value-3' });
      const decrypted = await client().getParameter('key', { decrypt: true });
      expect(decrypted).toMatchObject({ source: 'ssm', value: 'param-value-3', origin: 'file' });
      const plain = await client().getParameter('key');
      expect(plain).toMatchObject({ source: 'ssm', value: 'param-value-3', origin: 'http' });
      expect(sidecar.parameterQueries.at(-1)).toBe('?name=key');
    });

    it('asks for a specific secret version over HTTP, never from the current file', async () => {
      writeEnvelope(tmp.dir, 'provider', V1, clock.now() + 60_000);
      sidecar.secrets.set('provider', V2);
      const previous = await client().getSecret('provider', { versionStage: 'AWSPREVIOUS' });
      expect(previous.origin).toBe('http');
      expect(sidecar.requests).toHaveLength(1);
    });
  });
});
