import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExtensionsApiClient } from '../../../extension/lambda-api.ts';
import { Lifecycle } from '../../../extension/lifecycle.ts';
import { ManualClock } from '../../../shared/clock.ts';
import { Logger } from '../../../shared/logger.ts';

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A small fake of the Extensions API: scripted events, recorded requests. */
class FakeExtensionsApi {
  readonly seen: Seen[] = [];
  readonly events: unknown[] = [];
  registerStatus = 200;
  #server: Server;

  constructor() {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => res.destroy());
    });
  }

  async start(): Promise<string> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    return `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const c of req) body += (c as Buffer).toString();
    this.seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
    const json = (status: number, b: unknown, h: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...h });
      res.end(JSON.stringify(b));
    };
    if (req.url === '/2020-01-01/extension/register') {
      if (this.registerStatus !== 200) {
        return json(this.registerStatus, {
          errorMessage: 'no',
          errorType: 'Extension.InvalidExtensionName',
        });
      }
      return json(
        200,
        { functionName: 'fn', functionVersion: '$LATEST', handler: 'index.handler' },
        { 'Lambda-Extension-Identifier': 'ext-id-1' },
      );
    }
    if (req.headers['lambda-extension-identifier'] !== 'ext-id-1') {
      return json(403, { errorType: 'Extension.MissingExtensionIdentifier' });
    }
    if (req.url === '/2020-01-01/extension/event/next') {
      const event = this.events.shift();
      if (event === undefined) return; // hold the long poll open, like Lambda
      return json(200, event);
    }
    return json(202, { status: 'OK' });
  }
}

let api: FakeExtensionsApi;
let client: ExtensionsApiClient;
beforeEach(async () => {
  api = new FakeExtensionsApi();
  client = new ExtensionsApiClient(await api.start());
});
afterEach(async () => {
  await api.stop();
});

describe('ExtensionsApiClient', () => {
  it('registers with its name and events and keeps the identifier', async () => {
    const reg = await client.register('secret-sidecar', ['INVOKE', 'SHUTDOWN']);
    expect(reg).toEqual({
      extensionId: 'ext-id-1',
      functionName: 'fn',
      functionVersion: '$LATEST',
      handler: 'index.handler',
    });
    const seen = api.seen[0];
    expect(seen?.headers['lambda-extension-name']).toBe('secret-sidecar');
    expect(JSON.parse(seen?.body ?? '')).toEqual({ events: ['INVOKE', 'SHUTDOWN'] });
    expect(client.extensionId).toBe('ext-id-1');
  });

  it('rejects a refused registration with the API error type', async () => {
    api.registerStatus = 403;
    await expect(client.register('x', ['SHUTDOWN'])).rejects.toMatchObject({
      errorType: 'Extension.InvalidExtensionName',
    });
  });

  it('parses INVOKE and SHUTDOWN events, sending its identifier', async () => {
    await client.register('secret-sidecar', ['INVOKE', 'SHUTDOWN']);
    api.events.push(
      { eventType: 'INVOKE', deadlineMs: 123, requestId: 'r1', invokedFunctionArn: 'arn:fn' },
      { eventType: 'SHUTDOWN', deadlineMs: 456, shutdownReason: 'spindown' },
    );
    expect(await client.next()).toEqual({
      eventType: 'INVOKE',
      deadlineMs: 123,
      requestId: 'r1',
      invokedFunctionArn: 'arn:fn',
    });
    expect(await client.next()).toEqual({
      eventType: 'SHUTDOWN',
      deadlineMs: 456,
      shutdownReason: 'spindown',
    });
    expect(api.seen.at(-1)?.headers['lambda-extension-identifier']).toBe('ext-id-1');
  });

  it('reports an init error with the error type header and body', async () => {
    await client.register('secret-sidecar', ['SHUTDOWN']);
    await client.initError({
      errorType: 'Extension.ConfigInvalid',
      errorMessage: 'SECRET_SIDECAR_TTL_SECONDS must be ...',
    });
    const seen = api.seen.at(-1);
    expect(seen?.path).toBe('/2020-01-01/extension/init/error');
    expect(seen?.headers['lambda-extension-function-error-type']).toBe('Extension.ConfigInvalid');
    expect(JSON.parse(seen?.body ?? '')).toEqual({
      errorType: 'Extension.ConfigInvalid',
      errorMessage: 'SECRET_SIDECAR_TTL_SECONDS must be ...',
    });
  });

  it('waits on event/next without a client timeout', async () => {
    await client.register('secret-sidecar', ['SHUTDOWN']);
    let settled = false;
    const next = client.next().then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBe(false);
    api.events.push({ eventType: 'SHUTDOWN', deadlineMs: 1, shutdownReason: 'spindown' });
    await api.stop();
    await next.catch(() => undefined);
  });
});

describe('Lifecycle', () => {
  function lifecycle(events: unknown[]) {
    const clock = new ManualClock();
    const calls: string[] = [];
    let exitCode: number | undefined;
    const queue = [...events];
    const lc = new Lifecycle({
      next: async () => {
        const e = queue.shift();
        if (e instanceof Error) throw e;
        calls.push(`next:${(e as { eventType: string }).eventType}`);
        return e as never;
      },
      onInvoke: async (deadline) => {
        calls.push(`refresh:${deadline}`);
      },
      flush: () => calls.push('flush'),
      close: async (grace) => {
        calls.push(`close:${grace}`);
      },
      exit: (code) => {
        exitCode = code;
      },
      clock,
      logger: new Logger({ service: 'test', sink: () => undefined }),
      sleep: async () => undefined,
    });
    return { lc, calls, exit: () => exitCode, clock };
  }

  it('refreshes and flushes on each INVOKE, then closes and exits 0 on SHUTDOWN', async () => {
    const now = new ManualClock().now();
    const { lc, calls, exit } = lifecycle([
      { eventType: 'INVOKE', deadlineMs: now + 3_000 },
      { eventType: 'SHUTDOWN', deadlineMs: now + 2_000, shutdownReason: 'spindown' },
    ]);
    await lc.run();
    expect(calls).toEqual([
      'next:INVOKE',
      `refresh:${now + 3_000}`,
      'flush',
      'next:SHUTDOWN',
      'flush',
      'close:500',
    ]);
    expect(exit()).toBe(0);
  });

  it('keeps polling after event/next fails instead of exiting', async () => {
    const now = new ManualClock().now();
    const { lc, calls, exit } = lifecycle([
      new Error('ECONNRESET'),
      new Error('ECONNRESET'),
      { eventType: 'SHUTDOWN', deadlineMs: now + 2_000, shutdownReason: 'spindown' },
    ]);
    await lc.run();
    expect(calls[0]).toBe('next:SHUTDOWN');
    expect(exit()).toBe(0);
  });
});
