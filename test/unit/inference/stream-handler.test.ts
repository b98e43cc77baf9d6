import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpResponseMetadata, ResponseStream } from '../../../inference/awslambda.ts';
import { createStreamHandler } from '../../../inference/stream-handler.ts';
import {
  apiEvent,
  auditLines,
  CLAIMS,
  type Harness,
  startHarnessWithKey,
} from '../../support/inference/harness.ts';

const KEY1 = 'sk-stream-key-one-00000001';
const KEY2 = 'sk-stream-key-two-00000002';

/** Collects what the handler writes, with the metadata it sent first. */
class Captured extends Writable {
  metadata: HttpResponseMetadata | undefined;
  readonly writes: string[] = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.writes.push(chunk.toString('utf8'));
    done();
  }

  get text(): string {
    return this.writes.join('');
  }

  /** The `data:` events of a 200 answer. */
  get events(): Record<string, unknown>[] {
    return this.text
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => JSON.parse(e.slice(6)) as Record<string, unknown>);
  }
}

function from(stream: ResponseStream, metadata: HttpResponseMetadata): ResponseStream {
  (stream as Captured).metadata = metadata;
  return stream;
}

describe('streaming inference handler', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarnessWithKey(KEY1);
  });

  afterEach(async () => {
    await h.close();
  });

  it('streams each token as a delta event, then a done event with usage and latency', async () => {
    const handler = createStreamHandler(h.deps(), { httpResponseStreamFrom: from });
    const out = new Captured();

    await handler(apiEvent({ prompt: 'stream these four words' }), out);

    expect(out.metadata).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8' },
    });
    const events = out.events;
    const deltas = events.filter((e) => e.type === 'delta').map((e) => e.text);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Echo: stream these four words');
    const done = events.at(-1);
    expect(done).toMatchObject({
      type: 'done',
      model: 'gpt-4o-mini',
      usage: { promptTokens: 4, completionTokens: 5, totalTokens: 9 },
    });
    expect((done?.latency as { totalMs?: number } | undefined)?.totalMs).toBeGreaterThan(0);
    expect(h.provider.requests[0]).toMatchObject({ stream: true, keyId: 'k1' });
  });

  it('writes one audit line for a streamed request', async () => {
    const handler = createStreamHandler(h.deps(), { httpResponseStreamFrom: from });

    await handler(apiEvent({ prompt: 'hi' }), new Captured());

    expect(auditLines(h.logs)).toEqual([
      expect.objectContaining({
        stream: true,
        status: 200,
        clientId: CLAIMS.client_id,
        totalTokens: 3,
      }),
    ]);
  });

  it('answers 403 as JSON before streaming when the scope is missing', async () => {
    const handler = createStreamHandler(h.deps(), { httpResponseStreamFrom: from });
    const out = new Captured();

    await handler(apiEvent({ prompt: 'hi' }, { sub: 'a', scope: 'other' }), out);

    expect(out.metadata?.statusCode).toBe(403);
    expect(JSON.parse(out.text)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(h.provider.requests).toHaveLength(0);
  });

  it('accepts a Function URL caller authorized by IAM', async () => {
    const handler = createStreamHandler(h.deps(), { httpResponseStreamFrom: from });
    const out = new Captured();
    const event = {
      body: JSON.stringify({ prompt: 'hi' }),
      requestContext: {
        requestId: 'u1',
        authorizer: { iam: { userArn: 'arn:aws:iam::1:role/app' } },
      },
    };

    await handler(event, out);

    expect(out.metadata?.statusCode).toBe(200);
  });

  it('answers 400 as JSON for bad input', async () => {
    const handler = createStreamHandler(h.deps(), { httpResponseStreamFrom: from });
    const out = new Captured();

    await handler(apiEvent({ prompt: '' }), out);

    expect(out.metadata?.statusCode).toBe(400);
    expect(JSON.parse(out.text)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });

  it('refreshes the key and retries once when the provider answers 401 before streaming', async () => {
    h.registry.add(KEY2, {}, 'k2');
    h.registry.revoke(KEY1);
    h.sidecar.cached.set(
      'provider',
      h.sidecar.secrets.get('provider') ?? { versionId: '', value: '' },
    );
    h.setKey('v2', KEY2);
    const handler = createStreamHandler(h.deps(), { httpResponseStreamFrom: from });
    const out = new Captured();

    await handler(apiEvent({ prompt: 'hi' }), out);

    expect(out.metadata?.statusCode).toBe(200);
    expect(out.events.at(-1)?.type).toBe('done');
    expect(h.provider.requests.map((r) => r.keyId)).toEqual(['invalid', 'k2']);
  });

  it('answers 502 as JSON when the provider fails before streaming', async () => {
    h.provider.faults.failNext(500);
    const handler = createStreamHandler(h.deps(), { httpResponseStreamFrom: from });
    const out = new Captured();

    await handler(apiEvent({ prompt: 'hi' }), out);

    expect(out.metadata?.statusCode).toBe(502);
    expect(out.text).not.toContain('FAKE-UPSTREAM-DETAIL');
  });

  it('ends the stream with an error event when the provider connection breaks mid-stream', async () => {
    h.provider.faults.cutStreamNext(2);
    const handler = createStreamHandler(h.deps(), { httpResponseStreamFrom: from });
    const out = new Captured();

    await handler(apiEvent({ prompt: 'a longer answer that gets cut' }), out);

    expect(out.metadata?.statusCode).toBe(200);
    const events = out.events;
    expect(events.filter((e) => e.type === 'delta')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(auditLines(h.logs)[0]).toMatchObject({ status: 502, errorCode: 'UPSTREAM_UNAVAILABLE' });
  });

  it('answers 504 as JSON when the provider does not start answering in time', async () => {
    h.provider.faults.delayNext(2000);
    const handler = createStreamHandler(h.deps({ INFERENCE_PROVIDER_TIMEOUT_MS: '200' }), {
      httpResponseStreamFrom: from,
    });
    const out = new Captured();

    await handler(apiEvent({ prompt: 'hi' }), out);

    expect(out.metadata?.statusCode).toBe(504);
    expect(JSON.parse(out.text)).toMatchObject({ error: { code: 'UPSTREAM_TIMEOUT' } });
  });

  it('stops reading, and paying for, the provider stream once the caller goes away', async () => {
    await h.close();
    h = await startHarnessWithKey(KEY1, 'k1', { chunkDelayMs: 30 });
    const handler = createStreamHandler(h.deps(), { httpResponseStreamFrom: from });
    const out = new Captured();
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    // The caller disconnects as soon as the first token reached it.
    const write = out._write.bind(out);
    out._write = (chunk, enc, done) => {
      write(chunk, enc, done);
      if (out.text.includes('"type":"delta"')) setImmediate(() => out.destroy());
    };

    await handler(apiEvent({ prompt: words }), out);

    // The provider learns of the abort when its socket closes, a moment after the handler returned.
    const [stream] = h.provider.streams;
    for (let i = 0; i < 200 && stream && !stream.clientGone && !stream.completed; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(stream?.clientGone).toBe(true);
    expect(stream?.completed).toBe(false);
    expect(stream?.chunks ?? 0).toBeLessThan(40);
    expect(auditLines(h.logs)).toEqual([
      expect.objectContaining({ stream: true, status: 499, errorCode: 'CLIENT_CLOSED' }),
    ]);
  });
});
