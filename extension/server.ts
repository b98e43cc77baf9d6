/**
 * The localhost HTTP API, compatible with the AWS Parameters and Secrets Lambda
 * Extension: `GET /secretsmanager/get`, `GET /systemsmanager/parameters/get`, `GET /ping`.
 *
 * Guard order: concurrency cap (429) → `X-Forwarded-For` (400) → `/ping` → token
 * (401 missing, 403 wrong) → method (405) → route (404) → query (400) → lookup.
 * Binds 127.0.0.1 only.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, SidecarError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { Routes, TOKEN_HEADER } from '../shared/sidecar-protocol.ts';
import { badRequest, methodNotAllowed, toHttpFailure } from './http-errors.ts';
import { parseParameterQuery, parseSecretQuery } from './query.ts';
import type { SecretStore } from './store.ts';
import type { TokenGuard } from './token.ts';
import { parameterJson, secretValueJson } from './wire.ts';

/** Header telling the caller how the value was served: hit, miss, refreshed, bypassed or stale. */
export const CACHE_HEADER = 'x-secret-sidecar-cache';

/** Options for {@link SidecarServer}. */
export interface SidecarServerOptions {
  readonly store: Pick<SecretStore, 'getSecret' | 'getParameter'>;
  readonly token: TokenGuard;
  readonly logger: Logger;
  /** Concurrent requests served before answering 429. */
  readonly maxConnections: number;
  /** Largest accepted request head. @default 16384 */
  readonly maxHeaderSize?: number;
  /** Whole-request time limit. @default 30000 */
  readonly requestTimeoutMs?: number;
}

/** The HTTP server. */
export class SidecarServer {
  readonly #o: SidecarServerOptions;
  readonly #log: Logger;
  readonly #server: Server;
  #active = 0;

  constructor(options: SidecarServerOptions) {
    this.#o = options;
    this.#log = options.logger.child('server');
    this.#server = createServer(
      {
        maxHeaderSize: options.maxHeaderSize ?? 16_384,
        requestTimeout: options.requestTimeoutMs ?? 30_000,
        headersTimeout: Math.min(options.requestTimeoutMs ?? 30_000, 10_000),
        keepAliveTimeout: 5_000,
      },
      (req, res) => {
        this.#handle(req, res).catch((err: unknown) => {
          this.#log.error('request failed unexpectedly', { error: err });
          if (!res.headersSent) send(res, 500, { __type: 'InternalFailure' });
          else res.destroy();
        });
      },
    );
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      const status =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? '408 Request Timeout'
            : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    });
  }

  /** Starts listening on 127.0.0.1:`port` (0 = any free port). Resolves to the bound port. */
  async listen(port: number): Promise<number> {
    this.#server.listen(port, '127.0.0.1');
    try {
      await once(this.#server, 'listening');
    } catch (err) {
      throw new SidecarError(ErrorCode.ConfigInvalid, `cannot listen on 127.0.0.1:${port}`, {
        cause: err,
        errorType: 'Extension.PortUnavailable',
      });
    }
    const bound = (this.#server.address() as AddressInfo).port;
    this.#log.info('listening', { address: '127.0.0.1', port: bound });
    return bound;
  }

  /** Stops accepting connections and closes idle ones; resolves when closed or after `graceMs`. */
  async close(graceMs = 500): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      closed,
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.#server.closeAllConnections();
          resolve();
        }, graceMs);
      }),
    ]);
    clearTimeout(timer);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#active >= this.#o.maxConnections) {
      this.#reject(
        req,
        res,
        new SidecarError(ErrorCode.TooManyRequests, 'too many concurrent requests', {
          errorType: 'TooManyRequestsException',
        }),
      );
      return;
    }
    this.#active += 1;
    try {
      await this.#route(req, res);
    } catch (err) {
      this.#reject(req, res, err);
    } finally {
      this.#active -= 1;
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers['x-forwarded-for'] !== undefined) {
      throw badRequest('X-Forwarded-For is not accepted: the API is for local callers only');
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    if (path === Routes.Ping) {
      checkMethod(req);
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
      res.end('healthy');
      return;
    }
    this.#checkToken(req);
    checkMethod(req);
    if (path === Routes.SecretsManagerGet) {
      const { request, refreshNow } = parseSecretQuery(url.searchParams);
      const read = await this.#o.store.getSecret(request, { refreshNow });
      sendValue(res, read.outcome, secretValueJson(read.entry.value));
      return;
    }
    if (path === Routes.ParameterGet) {
      const { request, refreshNow } = parseParameterQuery(url.searchParams);
      const read = await this.#o.store.getParameter(request, { refreshNow });
      sendValue(res, read.outcome, parameterJson(read.entry.value));
      return;
    }
    throw new SidecarError(
      ErrorCode.NotFound,
      `no route for ${JSON.stringify(path.slice(0, 100))}`,
      {
        errorType: 'NotFound',
      },
    );
  }

  #checkToken(req: IncomingMessage): void {
    const presented = req.headers[TOKEN_HEADER];
    if (presented === undefined || presented === '') {
      throw new SidecarError(ErrorCode.Unauthorized, `missing header ${TOKEN_HEADER}`, {
        errorType: 'Unauthorized',
      });
    }
    if (Array.isArray(presented) || !this.#o.token.matches(presented)) {
      throw new SidecarError(ErrorCode.Forbidden, `wrong value in header ${TOKEN_HEADER}`, {
        errorType: 'Forbidden',
      });
    }
  }

  #reject(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const failure = toHttpFailure(err);
    const level = failure.status >= 500 ? 'warn' : 'info';
    this.#log[level]('request rejected', {
      method: req.method,
      path: (req.url ?? '').split('?')[0]?.slice(0, 100),
      status: failure.status,
      errorType: failure.body.__type,
      ...(failure.status === 500 ? { error: err } : {}),
    });
    send(res, failure.status, failure.body, failure.headers);
  }
}

function checkMethod(req: IncomingMessage): void {
  if (req.method !== 'GET') {
    throw methodNotAllowed(req.method);
  }
}

function sendValue(res: ServerResponse, outcome: string, body: unknown): void {
  res.writeHead(200, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    [CACHE_HEADER]: outcome,
  });
  res.end(JSON.stringify(body));
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const extra = status === 405 ? { allow: 'GET' } : {};
  res.writeHead(status, { 'content-type': 'application/json', ...extra, ...headers });
  res.end(JSON.stringify(body));
}
