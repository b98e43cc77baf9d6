import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Fixture } from '../../support/sandbox.ts';

let fx: Fixture;
beforeEach(async () => {
  fx = await Fixture.create();
});
afterEach(async () => {
  await fx.cleanup();
});

/** Writes `first;`, waits until the test creates WORK_DIR/go, then writes `second;`. */
const GATED_HTTP_STREAM = `import fs from 'node:fs';
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201,
    headers: { 'content-type': 'text/plain' },
  });
  stream.write('first;');
  while (!fs.existsSync(process.env.WORK_DIR + '/go')) await wait(10);
  stream.write('second;');
  stream.end();
});
`;

async function collect(chunks: AsyncIterable<Buffer>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk.toString('utf8');
  return text;
}

describe('response streaming', () => {
  it('yields chunks as the handler writes them and parses the HTTP prelude', async () => {
    await fx.handler('index.mjs', GATED_HTTP_STREAM);
    const sandbox = fx.sandbox({ extensionsDir: undefined });
    const streamed = await sandbox.invokeStream({});
    expect(streamed.prelude).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'text/plain' },
    });
    const iterator = streamed.chunks[Symbol.asyncIterator]();
    // The handler is blocked until 'go' exists, so this chunk can only arrive by streaming.
    const first = await iterator.next();
    expect(first.value?.toString()).toBe('first;');
    writeFileSync(fx.work('go'), '1');
    let rest = '';
    for (let r = await iterator.next(); !r.done; r = await iterator.next())
      rest += r.value.toString();
    expect(rest).toBe('second;');
    const result = await streamed.done;
    expect(result.status).toBe('ok');
    expect(result.rawPayload).toBe('first;second;');
    expect(result.prelude?.statusCode).toBe(201);
  });

  it('streams a plain response stream without a prelude', async () => {
    await fx.handler(
      'index.mjs',
      `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.setContentType('text/plain');
  for (const part of ['a', 'b', 'c']) responseStream.write(part);
  responseStream.end();
});
`,
    );
    const sandbox = fx.sandbox({ extensionsDir: undefined });
    const streamed = await sandbox.invokeStream({});
    expect(streamed.prelude).toBeUndefined();
    expect(await collect(streamed.chunks)).toBe('abc');
    expect((await streamed.done).status).toBe('ok');
  });

  it('reports an error thrown mid-stream (error trailers) after the partial body', async () => {
    await fx.handler(
      'index.mjs',
      `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('partial');
  await new Promise((r) => setTimeout(r, 20));
  throw new Error('upstream broke');
});
`,
    );
    const sandbox = fx.sandbox({ extensionsDir: undefined });
    const streamed = await sandbox.invokeStream({});
    expect(await collect(streamed.chunks)).toBe('partial');
    const result = await streamed.done;
    expect(result.status).toBe('error');
    expect(result.error).toEqual({ errorType: 'Error', errorMessage: 'upstream broke' });
  });

  it('returns the whole streamed body from invoke()', async () => {
    await fx.handler('index.mjs', GATED_HTTP_STREAM);
    writeFileSync(fx.work('go'), '1');
    const sandbox = fx.sandbox({ extensionsDir: undefined });
    const result = await sandbox.invoke({});
    expect(result.rawPayload).toBe('first;second;');
    expect(result.prelude).toEqual({ statusCode: 201, headers: { 'content-type': 'text/plain' } });
  });

  it('delivers a buffered handler response through invokeStream as one chunk', async () => {
    await fx.handler('index.mjs', `export const handler = async () => ({ ok: true });\n`);
    const sandbox = fx.sandbox({ extensionsDir: undefined });
    const streamed = await sandbox.invokeStream({});
    expect(await collect(streamed.chunks)).toBe('{"ok":true}');
    expect((await streamed.done).payload).toEqual({ ok: true });
  });
});
