/**
 * The built inference functions running in the local Lambda sandbox next to the real
 * secret-sidecar extension, with moto as Secrets Manager and the fake OpenAI server as
 * the provider (it accepts only keys currently valid in its registry).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseEnvelope, secretFileName } from '../../../shared/sidecar-protocol.ts';
import { KeyRegistry } from '../../../tools/fakes/key-registry.ts';
import { type OpenAIChatServer, startOpenAIChatServer } from '../../../tools/fakes/openai-chat.ts';
import { LambdaSandbox } from '../../../tools/sandbox/index.ts';
import { built } from '../../support/build.ts';
import { apiEvent, CLAIMS } from '../../support/inference/harness.ts';
import { freePort } from '../../support/moto.ts';

const CANARY = `CANARY-${randomBytes(8).toString('hex')}`;
const KEY1 = `key-one-${CANARY}`;
const KEY2 = `key-two-${CANARY}`;
const TTL_SECONDS = 2;

interface HttpPayload {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

describe('inference in the Lambda sandbox with the real extension and moto', () => {
  const moto = inject('motoEndpoint');
  const sm = new SecretsManagerClient({
    endpoint: moto,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const secretName = `inference-it-${randomBytes(6).toString('hex')}`;
  const registry = new KeyRegistry();
  const bodies: string[] = [];
  const tree = built();
  let scratch: string;
  let provider: OpenAIChatServer;
  let secretDir: string;
  let sandbox: LambdaSandbox;
  let streaming: LambdaSandbox;

  const secretValue = (apiKey: string, keyId: string): string =>
    JSON.stringify({
      provider: 'openai',
      apiKey,
      keyId,
      baseURL: provider.url,
      model: 'gpt-4o-mini',
    });

  async function call(event: unknown, target = sandbox): Promise<HttpPayload> {
    const result = await target.invoke(event);
    expect(result.status, JSON.stringify(result.error)).toBe('ok');
    const payload = result.payload as HttpPayload;
    bodies.push(payload.body);
    return payload;
  }

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'inference-it-'));
    provider = await startOpenAIChatServer({ registry, chunkDelayMs: 5 });
    registry.add(KEY1, {}, 'k1');
    await sm.send(
      new CreateSecretCommand({ Name: secretName, SecretString: secretValue(KEY1, 'k1') }),
    );
    secretDir = join(scratch, 'secrets');
    const env = {
      AWS_ENDPOINT_URL: moto,
      SECRET_SIDECAR_SECRETS: `provider=${secretName}`,
      SECRET_SIDECAR_TTL_SECONDS: String(TTL_SECONDS),
      SECRET_SIDECAR_DIR: secretDir,
      SECRET_SIDECAR_HTTP_PORT: String(await freePort()),
      INFERENCE_PROVIDER_TIMEOUT_MS: '1500',
    };
    sandbox = new LambdaSandbox({
      extensionsDir: tree.extensionsDir,
      taskRoot: tree.inferenceTask,
      handler: 'index.handler',
      runtimeCommand: tree.runtimeCommand,
      functionName: 'inference',
      timeoutMs: 10_000,
      env,
    });
    streaming = new LambdaSandbox({
      extensionsDir: tree.extensionsDir,
      taskRoot: tree.streamTask,
      handler: 'index.handler',
      runtimeCommand: tree.runtimeCommand,
      functionName: 'inference-stream',
      timeoutMs: 10_000,
      env: {
        ...env,
        SECRET_SIDECAR_DIR: join(scratch, 'secrets-stream'),
        SECRET_SIDECAR_HTTP_PORT: String(await freePort()),
      },
    });
    await sandbox.init();
    await streaming.init();
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([sandbox?.shutdown(), streaming?.shutdown()]);
    await provider?.close();
    await rm(scratch, { recursive: true, force: true });
    sm.destroy();
  });

  it('answers the happy path with every latency field filled in', async () => {
    const res = await call(apiEvent({ prompt: 'hello sandbox' }));

    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as {
      answer: string;
      model: string;
      usage: Record<string, number>;
      latency: { secretLookupMs: number; providerMs: number; totalMs: number };
    };
    expect(body.answer).toBe('Echo: hello sandbox');
    expect(body.model).toBe('gpt-4o-mini');
    expect(body.usage).toEqual({ promptTokens: 2, completionTokens: 3, totalTokens: 5 });
    expect(body.latency.secretLookupMs).toBeGreaterThan(0);
    expect(body.latency.providerMs).toBeGreaterThan(0);
    expect(body.latency.totalMs).toBeGreaterThanOrEqual(body.latency.providerMs);
  });

  it('rejects a missing scope and an insufficient scope', async () => {
    const none = await call(apiEvent({ prompt: 'hi' }, null));
    const weak = await call(
      apiEvent({ prompt: 'hi' }, { ...CLAIMS, scope: 'secret-sidecar/read' }),
    );

    expect(none.statusCode).toBe(401);
    expect(weak.statusCode).toBe(403);
  });

  it.each([
    ['invalid JSON', '{'],
    ['a disallowed model', { prompt: 'hi', model: 'gpt-9' }],
    ['too many tokens', { prompt: 'hi', max_tokens: 1_000_000 }],
    ['an unknown field', { prompt: 'hi', functions: [] }],
  ])('rejects %s with 400', async (_name, input) => {
    const res = await call(apiEvent(input));

    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });

  it.each([
    [429, 502, 'THROTTLED'],
    [500, 502, 'UPSTREAM_UNAVAILABLE'],
  ])('maps a provider %i to %i %s', async (upstream, status, code) => {
    provider.faults.failNext(upstream);

    const res = await call(apiEvent({ prompt: 'hi' }));

    expect(res.statusCode).toBe(status);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code } });
  });

  it('maps a provider timeout to 504', async () => {
    provider.faults.delayNext(3000);

    const res = await call(apiEvent({ prompt: 'hi' }));

    expect(res.statusCode).toBe(504);
  });

  it('falls back from a stale file to HTTP after a freeze longer than the TTL', async () => {
    await call(apiEvent({ prompt: 'before the freeze' }));
    await sandbox.idle(TTL_SECONDS * 1000 + 500);
    const envelope = parseEnvelope(
      readFileSync(join(secretDir, secretFileName('provider')), 'utf8'),
    );
    const staleWhileFrozen = envelope !== undefined && envelope.expiresAt <= Date.now();

    const res = await call(apiEvent({ prompt: 'after the freeze' }));

    expect(staleWhileFrozen).toBe(true);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).answer).toBe('Echo: after the freeze');
  });

  it('streams tokens through the Function URL handler', async () => {
    const inv = await streaming.invokeStream(apiEvent({ prompt: 'one two three four five' }));
    const arrivals: string[] = [];
    for await (const chunk of inv.chunks) arrivals.push(chunk.toString('utf8'));
    const done = await inv.done;
    const text = arrivals.join('');
    bodies.push(text);

    expect(done.status).toBe('ok');
    expect(inv.prelude?.statusCode).toBe(200);
    expect(arrivals.length).toBeGreaterThan(1);
    const events = text
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => JSON.parse(e.slice(6)) as { type: string; text?: string });
    expect(
      events
        .filter((e) => e.type === 'delta')
        .map((e) => e.text)
        .join(''),
    ).toBe('Echo: one two three four five');
    expect(events.at(-1)?.type).toBe('done');
  });

  it('survives a key rotated mid-traffic, with the old key revoked, with zero failed requests', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await call(apiEvent({ prompt: `before ${i}` }))).statusCode);

    // Rotate: new key at the provider, new version in Secrets Manager, stage moved, old key revoked.
    registry.add(KEY2, {}, 'k2');
    const described = await sm.send(new DescribeSecretCommand({ SecretId: secretName }));
    const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, s]) =>
      s.includes('AWSCURRENT'),
    )?.[0];
    const token = randomUUID();
    await sm.send(
      new PutSecretValueCommand({
        SecretId: secretName,
        ClientRequestToken: token,
        SecretString: secretValue(KEY2, 'k2'),
        VersionStages: ['AWSPENDING'],
      }),
    );
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretName,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token,
        RemoveFromVersionId: current,
      }),
    );
    registry.revoke(KEY1);
    const seenBefore = provider.requests.length;

    for (let i = 0; i < 6; i++)
      statuses.push((await call(apiEvent({ prompt: `after ${i}` }))).statusCode);

    expect(statuses).toEqual(Array(10).fill(200));
    const after = provider.requests.slice(seenBefore);
    expect(after.filter((r) => r.status === 200).every((r) => r.keyId === 'k2')).toBe(true);
    // At most the first request after the revocation meets the old key, and it is retried.
    expect(after.filter((r) => r.status === 401).length).toBeLessThanOrEqual(1);
  });

  it('keeps the model readable in the audit line while the key stays masked', async () => {
    await call(apiEvent({ prompt: 'audit me' }));
    const audits = sandbox.output
      .map((l) => l.line)
      .filter((l) => l.includes('"message":"inference request"'))
      .map((l) => JSON.parse(l) as { model?: string });
    expect(audits.at(-1)?.model).toBe('gpt-4o-mini');
  });

  it('never lets the canary key reach a log line or a response body', async () => {
    // Error paths too: a rejected key and a provider failure.
    provider.faults.failNext(401, 2);
    await call(apiEvent({ prompt: 'hi' }));
    provider.faults.failNext(500);
    await call(apiEvent({ prompt: 'hi' }));

    const lines = [...sandbox.output, ...streaming.output].map((l) => l.line);
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.filter((l) => l.includes(CANARY))).toEqual([]);
    expect(bodies.filter((b) => b.includes(CANARY))).toEqual([]);
    expect(lines.some((l) => l.includes('"message":"inference request"'))).toBe(true);
  });
});
