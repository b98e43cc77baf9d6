/**
 * The HTTP front of the sandbox: Runtime API (2018-06-01), Extensions API (2020-01-01) and
 * the Telemetry and Logs API subscriptions (accepted with 202, as the RIE does), on 127.0.0.1
 * only. Parses requests, checks required headers and renders answers; every decision is
 * delegated to a {@link SandboxApi}.
 */
import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { LongPoll, QueuedEvent } from './agent.ts';
import { readAll } from './invocation.ts';

/** An answer: status, JSON body and extra headers. */
export interface ApiReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the routes call. Returning `undefined` from a `next` handler parks the request. */
export interface SandboxApi {
  register(name: string | undefined, body: unknown, acceptFeatures: string[]): ApiReply;
  extensionNext(identifier: string | undefined, poll: LongPoll): ApiReply | undefined;
  extensionError(
    kind: 'init' | 'exit',
    identifier: string | undefined,
    errorType: string,
    body: unknown,
  ): ApiReply;
  runtimeNext(poll: LongPoll): ApiReply | undefined;
  runtimeResponse(requestId: string, req: IncomingMessage): Promise<ApiReply>;
  runtimeError(requestId: string, req: IncomingMessage): Promise<ApiReply>;
  runtimeInitError(errorType: string | undefined, body: unknown): ApiReply;
}

const EXT = '/2020-01-01/extension';
const RUNTIME = '/2018-06-01/runtime';
const INVOCATION = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/;
const MAX_JSON_BYTES = 1024 * 1024;

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(res: ServerResponse, reply: ApiReply): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify(reply.body ?? null);
  const headers: OutgoingHttpHeaders = {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...reply.headers,
  };
  res.writeHead(reply.status, headers);
  res.end(body);
}

function failure(status: number, errorType: string, errorMessage: string): ApiReply {
  return { status, body: { errorType, errorMessage } };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readAll(req, MAX_JSON_BYTES)).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function longPoll(res: ServerResponse): LongPoll {
  return {
    get closed() {
      return res.destroyed || res.writableEnded;
    },
    send(event: QueuedEvent): boolean {
      if (res.destroyed || res.writableEnded) return false;
      res.writeHead(200, { ...event.headers, 'Content-Length': Buffer.byteLength(event.body) });
      res.end(event.body);
      return true;
    },
  };
}

/** A listening API server. */
export interface ApiServer {
  /** `127.0.0.1:<port>`, the value of `AWS_LAMBDA_RUNTIME_API`. */
  readonly address: string;
  /** Stops listening and drops every connection (parked polls included). */
  close(): Promise<void>;
}

/** Starts the API server on 127.0.0.1 with an OS-assigned port. */
export async function startApiServer(api: SandboxApi): Promise<ApiServer> {
  const server: Server = createServer({ requestTimeout: 0 }, (req, res) => {
    route(api, req, res).catch((err: unknown) => {
      send(res, failure(500, 'ServerError', err instanceof Error ? err.message : String(err)));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    address: `127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

async function route(api: SandboxApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const method = req.method ?? 'GET';
  const expect = (wanted: string): boolean => {
    if (method === wanted) return true;
    req.resume();
    send(res, failure(405, 'MethodNotAllowed', `${path} accepts ${wanted} only`));
    return false;
  };
  const identifier = headerOf(req, 'lambda-extension-identifier');

  if (path === `${EXT}/register`) {
    if (!expect('POST')) return;
    const features = (headerOf(req, 'lambda-extension-accept-feature') ?? '')
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    const body = await readJson(req);
    return send(res, api.register(headerOf(req, 'lambda-extension-name'), body, features));
  }
  if (path === `${EXT}/event/next`) {
    if (!expect('GET')) return;
    req.resume();
    const poll = longPoll(res);
    const reply = api.extensionNext(identifier, poll);
    if (reply) send(res, reply);
    return;
  }
  if (path === `${EXT}/init/error` || path === `${EXT}/exit/error`) {
    if (!expect('POST')) return;
    const body = await readJson(req);
    const errorType = headerOf(req, 'lambda-extension-function-error-type');
    if (!errorType) {
      return send(
        res,
        failure(403, 'Extension.MissingHeader', 'Lambda-Extension-Function-Error-Type is required'),
      );
    }
    const kind = path.endsWith('/init/error') ? 'init' : 'exit';
    return send(res, api.extensionError(kind, identifier, errorType, body));
  }
  if (path === `${RUNTIME}/invocation/next`) {
    if (!expect('GET')) return;
    req.resume();
    const reply = api.runtimeNext(longPoll(res));
    if (reply) send(res, reply);
    return;
  }
  const invocation = INVOCATION.exec(path);
  if (invocation) {
    if (!expect('POST')) return;
    const requestId = decodeURIComponent(invocation[1] ?? '');
    const reply =
      invocation[2] === 'response'
        ? await api.runtimeResponse(requestId, req)
        : await api.runtimeError(requestId, req);
    return send(res, reply);
  }
  if (path === `${RUNTIME}/init/error`) {
    if (!expect('POST')) return;
    const body = await readJson(req);
    return send(
      res,
      api.runtimeInitError(headerOf(req, 'lambda-runtime-function-error-type'), body),
    );
  }
  if (path === '/2022-07-01/telemetry' || path === '/2020-08-15/logs') {
    if (!expect('PUT')) return;
    req.resume();
    return send(res, {
      status: 202,
      body: { errorMessage: 'Telemetry API is not supported', errorType: 'Telemetry.NotSupported' },
    });
  }
  req.resume();
  send(res, failure(404, 'NotFound', `no route for ${method} ${path}`));
}
