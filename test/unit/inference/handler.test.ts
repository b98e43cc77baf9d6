import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createInferenceCore,
  createInferenceHandler,
  type HttpResult,
  type InferenceResponse,
} from '../../../inference/handler.ts';
import {
  apiEvent,
  auditLines,
  CLAIMS,
  type Harness,
  startHarnessWithKey,
} from '../../support/inference/harness.ts';

const KEY1 = 'sk-test-key-one-0000000001';
const KEY2 = 'sk-test-key-two-0000000002';

function body<T = Record<string, unknown>>(r: HttpResult): T {
  return JSON.parse(r.body) as T;
}

describe('inference handler', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarnessWithKey(KEY1);
  });

  afterEach(async () => {
    await h.close();
  });

  describe('happy path', () => {
    it('answers with answer, model, usage and filled latency fields', async () => {
      const handler = createInferenceHandler(h.deps());

      const res = await handler(apiEvent({ prompt: 'hello there' }));

      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      const b = body<InferenceResponse>(res);
      expect(b.answer).toBe('Echo: hello there');
      expect(b.model).toBe('gpt-4o-mini');
      expect(b.usage).toEqual({ promptTokens: 2, completionTokens: 3, totalTokens: 5 });
      expect(b.latency.secretLookupMs).toBeGreaterThan(0);
      expect(b.latency.providerMs).toBeGreaterThan(0);
      expect(b.latency.totalMs).toBeGreaterThanOrEqual(b.latency.providerMs);
      expect(h.provider.requests).toHaveLength(1);
      expect(h.provider.requests[0]).toMatchObject({ keyId: 'k1', status: 200, maxTokens: 1024 });
    });

    it('uses the model the caller asks for when it is allowed', async () => {
      const handler = createInferenceHandler(h.deps());

      const res = await handler(
        apiEvent({ messages: [{ role: 'user', content: 'hi' }], model: 'gemini-2.0-flash' }),
      );

      expect(body(res).model).toBe('gemini-2.0-flash');
      expect(h.provider.requests[0]?.model).toBe('gemini-2.0-flash');
    });

    it('prefers INFERENCE_BASE_URL over the base URL in the secret', async () => {
      h.setKey('v1', KEY1, { baseURL: 'http://127.0.0.1:9/v1' });
      const handler = createInferenceHandler(h.deps({ INFERENCE_BASE_URL: h.provider.url }));

      const res = await handler(apiEvent({ prompt: 'hi' }));

      expect(res.statusCode).toBe(200);
    });

    it('reuses one SDK client while the key version stays the same', async () => {
      const deps = h.deps();
      const core = createInferenceCore(deps);
      const handler = createInferenceHandler(deps, core);

      await handler(apiEvent({ prompt: 'one' }));
      await handler(apiEvent({ prompt: 'two' }));

      expect(core.clients.builds).toBe(1);
    });

    it('builds a new SDK client when the key version changes', async () => {
      const deps = h.deps();
      const core = createInferenceCore(deps);
      const handler = createInferenceHandler(deps, core);
      await handler(apiEvent({ prompt: 'one' }));
      h.registry.add(KEY2, {}, 'k2');
      h.setKey('v2', KEY2);
      await deps.secrets.refresh('provider');

      await handler(apiEvent({ prompt: 'two' }));

      expect(core.clients.builds).toBe(2);
      expect(h.provider.requests.map((r) => r.keyId)).toEqual(['k1', 'k2']);
    });
  });

  describe('audit', () => {
    it('writes one audit line with client, model, tokens and latency but no content', async () => {
      const handler = createInferenceHandler(h.deps());

      await handler(apiEvent({ prompt: 'a private question' }));

      const lines = auditLines(h.logs);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        clientId: 'app-client-1',
        model: 'gpt-4o-mini',
        status: 200,
        promptTokens: 3,
        completionTokens: 4,
        totalTokens: 7,
        keyVersionId: 'v1',
        keyId: 'id-0001',
      });
      expect(typeof lines[0]?.totalMs).toBe('number');
      expect(h.logs.join('\n')).not.toContain('private question');
    });

    it('logs prompt and answer when INFERENCE_LOG_CONTENT is on', async () => {
      const handler = createInferenceHandler(h.deps({ INFERENCE_LOG_CONTENT: 'true' }));

      await handler(apiEvent({ prompt: 'a logged question' }));

      const [line] = auditLines(h.logs);
      expect(line?.prompt).toEqual([{ role: 'user', content: 'a logged question' }]);
      expect(line?.answer).toBe('Echo: a logged question');
    });

    it('emits EMF metrics with the FunctionName dimension', async () => {
      const handler = createInferenceHandler(h.deps());

      await handler(apiEvent({ prompt: 'hi' }));

      const emf = JSON.parse(h.metrics.at(-1) ?? '{}') as Record<string, unknown>;
      expect(emf).toMatchObject({ FunctionName: 'inference-test', InferenceRequest: 1 });
      expect(typeof emf.ProviderLatency).toBe('number');
      expect(typeof emf.SecretLookupLatency).toBe('number');
    });
  });

  describe('authorization', () => {
    it('rejects a request without JWT claims with 401', async () => {
      const res = await createInferenceHandler(h.deps())(apiEvent({ prompt: 'hi' }, null));

      expect(res.statusCode).toBe(401);
      expect(body(res)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
      expect(h.provider.requests).toHaveLength(0);
    });

    it('rejects a token without the invoke scope with 403', async () => {
      const res = await createInferenceHandler(h.deps())(
        apiEvent({ prompt: 'hi' }, { ...CLAIMS, scope: 'openid secret-sidecar/read' }),
      );

      expect(res.statusCode).toBe(403);
      expect(body(res)).toMatchObject({
        error: {
          code: 'FORBIDDEN',
          message: 'the token lacks the required scope "secret-sidecar/invoke"',
        },
      });
      expect(h.provider.requests).toHaveLength(0);
    });

    it('checks the configured scope', async () => {
      const handler = createInferenceHandler(h.deps({ INFERENCE_REQUIRED_SCOPE: 'api/chat' }));

      expect((await handler(apiEvent({ prompt: 'hi' }))).statusCode).toBe(403);
      expect(
        (await handler(apiEvent({ prompt: 'hi' }, { sub: 'x', scope: 'api/chat' }))).statusCode,
      ).toBe(200);
    });
  });

  describe('input validation', () => {
    it.each([
      ['no body', ''],
      ['not JSON', 'prompt=hi'],
      ['an unknown field', { prompt: 'hi', user: 'x' }],
      ['an empty messages list', { messages: [] }],
      ['a disallowed model', { prompt: 'hi', model: 'o1-pro' }],
      ['max_tokens above the cap', { prompt: 'hi', max_tokens: 100_000 }],
      ['a body over INFERENCE_MAX_BODY_BYTES', { prompt: 'x'.repeat(70_000) }],
      ['stream on the buffered endpoint', { prompt: 'hi', stream: true }],
    ])('rejects %s with 400 before any key lookup', async (_name, input) => {
      const res = await createInferenceHandler(h.deps())(apiEvent(input));

      expect(res.statusCode).toBe(400);
      expect(body(res)).toMatchObject({ error: { code: 'BAD_REQUEST' }, requestId: 'apigw-req-1' });
      expect(h.sidecar.requests).toHaveLength(0);
      expect(h.provider.requests).toHaveLength(0);
    });
  });

  describe('key rotation', () => {
    it('force-refreshes the key and retries once when the provider answers 401', async () => {
      // The sidecar still holds v1, whose key the provider has revoked; AWS already has v2.
      h.registry.add(KEY2, {}, 'k2');
      h.registry.revoke(KEY1);
      h.sidecar.cached.set(
        'provider',
        h.sidecar.secrets.get('provider') ?? { versionId: '', value: '' },
      );
      h.setKey('v2', KEY2);
      const handler = createInferenceHandler(h.deps());

      const res = await handler(apiEvent({ prompt: 'hi' }));

      expect(res.statusCode).toBe(200);
      expect(h.provider.requests.map((r) => [r.keyId, r.status])).toEqual([
        ['invalid', 401],
        ['k2', 200],
      ]);
      expect(h.sidecar.requests.at(-1)?.refreshNow).toBe(true);
      expect(h.metrics.join('\n')).toContain('"KeyRefreshOnUnauthorized":1');
      expect(auditLines(h.logs)[0]).toMatchObject({ keyRefreshed: true, keyVersionId: 'v2' });
    });

    it('answers 502 without calling the provider again when the refreshed key is the one rejected', async () => {
      h.registry.revoke(KEY1);
      const handler = createInferenceHandler(h.deps());

      const res = await handler(apiEvent({ prompt: 'hi' }));

      expect(res.statusCode).toBe(502);
      expect(body(res)).toMatchObject({
        error: { code: 'UPSTREAM_REJECTED', message: 'the provider rejected the credentials' },
      });
      expect(h.sidecar.requests.filter((r) => r.refreshNow)).toHaveLength(1);
      expect(h.provider.requests).toHaveLength(1);
      expect(res.body).not.toContain('Incorrect API key');
    });

    it('backs off key refreshes while the current key keeps being rejected', async () => {
      h.registry.revoke(KEY1);
      const handler = createInferenceHandler(h.deps());

      const answers = await Promise.all(
        Array.from({ length: 5 }, () => handler(apiEvent({ prompt: 'hi' }))),
      );
      await handler(apiEvent({ prompt: 'again' }));

      expect(answers.map((a) => a.statusCode)).toEqual([502, 502, 502, 502, 502]);
      // Six 401s, one Secrets Manager round trip: concurrent ones share it, later ones back off.
      expect(h.sidecar.requests.filter((r) => r.refreshNow)).toHaveLength(1);
    });
  });

  describe('provider failures', () => {
    it('maps a provider 429 to 502 THROTTLED with Retry-After and no upstream text', async () => {
      h.provider.faults.failNext(429, 1, 20);

      const res = await createInferenceHandler(h.deps())(apiEvent({ prompt: 'hi' }));

      expect(res.statusCode).toBe(502);
      expect(res.headers['retry-after']).toBe('20');
      expect(body(res)).toMatchObject({ error: { code: 'THROTTLED' } });
      expect(res.body).not.toContain('Rate limit reached');
      expect(res.body).not.toContain('org-fake');
    });

    it('maps a provider 500 to 502 with a sanitized message', async () => {
      h.provider.faults.failNext(500);

      const res = await createInferenceHandler(h.deps())(apiEvent({ prompt: 'hi' }));

      expect(res.statusCode).toBe(502);
      expect(body(res)).toEqual({
        error: { code: 'UPSTREAM_UNAVAILABLE', message: 'the provider failed (HTTP 500)' },
        requestId: 'apigw-req-1',
      });
      expect(h.logs.join('\n')).not.toContain('FAKE-UPSTREAM-DETAIL');
    });

    it('maps a provider timeout to 504', async () => {
      h.provider.faults.delayNext(2000);

      const res = await createInferenceHandler(h.deps({ INFERENCE_PROVIDER_TIMEOUT_MS: '200' }))(
        apiEvent({ prompt: 'hi' }),
      );

      expect(res.statusCode).toBe(504);
      expect(body(res)).toMatchObject({
        error: {
          code: 'UPSTREAM_TIMEOUT',
          message: 'the request did not finish within its 200 ms budget (provider call)',
        },
      });
      expect(h.metrics.join('\n')).toContain('"InferenceError":1');
    });

    it('caps the provider deadline by the time the invocation has left', async () => {
      h.provider.faults.delayNext(2000);
      const context = { awsRequestId: 'lambda-req-1', getRemainingTimeInMillis: () => 800 };

      const res = await createInferenceHandler(h.deps())(apiEvent({ prompt: 'hi' }), context);

      expect(res.statusCode).toBe(504);
      expect(body(res)).toMatchObject({
        error: { message: 'the request did not finish within its 300 ms budget (provider call)' },
        requestId: 'lambda-req-1',
      });
    });

    it('maps a dropped provider connection to 502', async () => {
      h.provider.faults.dropNext();

      const res = await createInferenceHandler(h.deps())(apiEvent({ prompt: 'hi' }));

      expect(res.statusCode).toBe(502);
      expect(body(res)).toMatchObject({ error: { code: 'UPSTREAM_UNAVAILABLE' } });
    });
  });

  describe('key lookup failures', () => {
    it('answers 502 when the sidecar is unreachable, without internals', async () => {
      await h.sidecar.stop();
      const deps = h.deps();

      const res = await createInferenceHandler(deps)(apiEvent({ prompt: 'hi' }));

      expect(res.statusCode).toBe(502);
      expect(body(res)).toMatchObject({
        error: {
          code: 'UPSTREAM_UNAVAILABLE',
          message: 'the provider key is not available right now',
        },
      });
      expect(res.body).not.toContain('127.0.0.1');
    });

    it('answers 500 "internal error" when the secret does not exist', async () => {
      const res = await createInferenceHandler(h.deps({ INFERENCE_SECRET_ALIAS: 'nope' }))(
        apiEvent({ prompt: 'hi' }),
      );

      expect(res.statusCode).toBe(500);
      expect(body(res)).toMatchObject({ error: { code: 'INTERNAL', message: 'internal error' } });
    });

    it('answers 500 when the secret is not the provider JSON shape', async () => {
      h.sidecar.secrets.set('provider', { versionId: 'v9', value: 'plain-text-secret-value' });

      const res = await createInferenceHandler(h.deps())(apiEvent({ prompt: 'hi' }));

      expect(res.statusCode).toBe(500);
      expect(res.body).not.toContain('plain-text-secret-value');
      expect(h.logs.join('\n')).not.toContain('plain-text-secret-value');
    });
  });

  describe('one deadline per request', () => {
    it('answers 504 within the one budget when the retry after a slow 401 would run past it', async () => {
      h.registry.add(KEY2, {}, 'k2');
      h.provider.faults.failNextAfter(600, 401);
      h.provider.faults.delayNext(5_000);
      // The first key was rotated away: the refresh brings KEY2.
      h.sidecar.cached.set(
        'provider',
        h.sidecar.secrets.get('provider') ?? { versionId: '', value: '' },
      );
      h.setKey('v2', KEY2);
      const handler = createInferenceHandler(h.deps({ INFERENCE_PROVIDER_TIMEOUT_MS: '1000' }));

      const res = await handler(apiEvent({ prompt: 'hi' }));

      expect(res.statusCode).toBe(504);
      expect(body(res)).toMatchObject({
        error: {
          code: 'UPSTREAM_TIMEOUT',
          message:
            'the request did not finish within its 1000 ms budget (provider call after key refresh)',
        },
      });
      const [audit] = auditLines(h.logs);
      expect(audit).toMatchObject({ status: 504, phase: 'provider call after key refresh' });
      // One budget, not a fresh one for the retry: the answer came at about 1 s, not 1.6 s or more.
      expect(Number(audit?.totalMs)).toBeLessThan(1_500);
    });
  });

  describe('a misconfigured provider secret', () => {
    it.each([
      [
        'an unknown provider',
        { provider: 'opneai' },
        'provider must be one of openai, google, anthropic, random',
      ],
      [
        'random without a baseURL',
        { provider: 'random', baseURL: undefined },
        'baseURL must be set for provider random',
      ],
      [
        'a baseURL that is not a URL',
        { baseURL: 'api.openai.com' },
        'baseURL must be an http:// or https:// URL',
      ],
    ])(
      'answers 500 for %s, names the field in the audit line, and sends the key nowhere',
      async (_, extra, reason) => {
        h.setKey('v9', KEY1, extra);
        const res = await createInferenceHandler(h.deps())(apiEvent({ prompt: 'hi' }));

        expect(res.statusCode).toBe(500);
        expect(body(res)).toMatchObject({
          error: { message: 'the provider key is misconfigured' },
        });
        expect(h.provider.requests).toHaveLength(0);
        expect(String(auditLines(h.logs)[0]?.reason)).toContain(reason);
      },
    );

    it('answers 503 with Retry-After for the placeholder no rotation has filled yet', async () => {
      h.setKey('v0', 'placeholder-random-0000000000', { placeholder: true });
      const res = await createInferenceHandler(h.deps())(apiEvent({ prompt: 'hi' }));

      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('60');
      expect(h.provider.requests).toHaveLength(0);
    });
  });
});
