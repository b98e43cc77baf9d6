/**
 * The localhost HTTP API, compatible with the AWS Parameters and Secrets Lambda
 * Extension: `GET /secretsmanager/get`, `GET /systemsmanager/parameters/get`, `GET /ping`.
 *
 * Guard order: `X-Forwarded-For` (400) → `/ping` (always answered) → token (401
 * missing, 403 wrong) → method (405) → route (404) → query (400) → a fresh cached
 * value is answered at once → concurrency cap (429) → lookup. Reads the cache can
 * answer never wait behind uncached ones and are never refused for load.
 * Binds 127.0.0.1 only.
 */
import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeader,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, SidecarError } from '../shared/errors.ts';
import { badRequest, HttpError, toHttpError } from '../shared/http-error.ts';
import type { Logger } from '../shared/logger.ts';
import { Routes, TOKEN_HEADER } from '../shared/sidecar-protocol.ts';
import { type CacheEntry, CacheOutcome } from './cache.ts';
import {
  type ParameterQuery,
  parseParameterQuery,
  parseSecretQuery,
  type SecretQuery,
} from './query.ts';
import type { SecretStore } from './store.ts';
import type { TokenGuard } from './token.ts';
import { parameterJson, secretValueJson } from './wire.ts';

/** Header telling the caller how the value was served: hit, miss, refreshed, bypassed or stale. */
export const CACHE_HEADER = 'x-secret-sidecar-cache';

/** Options for {@link SidecarServer}. */
export interface SidecarServerOptions {
  readonly store: Pick<
    SecretStore,
    'getSecret' | 'getParameter' | 'peekFreshSecret' | 'peekFreshParameter'
  >;
  readonly token: TokenGuard;
  readonly logger: Logger;
  /** Concurrent uncached requests served before answering 429. */
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
  /**
   * Response bodies, serialised once per cached entry (a new entry is a new version or
   * stamp). Kept as strings: Node writes a string body in one piece with the head.
   */
  readonly #bodies = new WeakMap<CacheEntry<unknown>, RenderedBody>();
  /** Parsed request targets, so a repeated URL is not split and parsed again. */
  readonly #targets = new Map<string, Target>();
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
        try {
          const pending = this.#handle(req, res);
          if (pending) {
            pending.catch((err: unknown) => this.#reject(req, res, err));
          }
        } catch (err) {
          this.#reject(req, res, err);
        }
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

  /** Answers synchronously when it can (ping, errors, cache hits); returns a promise otherwise. */
  #handle(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    if (req.headers['x-forwarded-for'] !== undefined) {
      throw badRequest('X-Forwarded-For is not accepted: the API is for local callers only');
    }
    const target = this.#target(req.url ?? '/');
    if (target.kind === 'ping') {
      checkMethod(req);
      res.writeHead(200, PING_HEADERS);
      res.end('healthy');
      return undefined;
    }
    this.#checkToken(req);
    checkMethod(req);
    const { refreshNow, ignored } = target.query;
    this.#noteIgnored(target.path, ignored);
    if (target.kind === 'secret') {
      const fresh = refreshNow ? undefined : this.#o.store.peekFreshSecret(target.query.request);
      if (fresh) return this.#sendEntry(res, 'hit', fresh, secretValueJson);
      return this.#capped(async () => {
        const read = await this.#o.store.getSecret(target.query.request, { refreshNow });
        this.#sendEntry(res, read.outcome, read.entry, secretValueJson);
      });
    }
    const fresh = refreshNow ? undefined : this.#o.store.peekFreshParameter(target.query.request);
    if (fresh) return this.#sendEntry(res, 'hit', fresh, parameterJson);
    return this.#capped(async () => {
      const read = await this.#o.store.getParameter(target.query.request, { refreshNow });
      this.#sendEntry(res, read.outcome, read.entry, parameterJson);
    });
  }

  /**
   * The route and parsed query of a request target. Valid targets are remembered (up to
   * {@link MAX_REMEMBERED_TARGETS}, each at most {@link MAX_REMEMBERED_TARGET_LENGTH}
   * characters); an invalid one throws its 400 or 404 every time.
   */
  #target(url: string): Target {
    const known = this.#targets.get(url);
    if (known !== undefined) return known;
    const target = parseTarget(url);
    if (url.length <= MAX_REMEMBERED_TARGET_LENGTH) {
      if (this.#targets.size >= MAX_REMEMBERED_TARGETS) this.#targets.clear();
      this.#targets.set(url, target);
    }
    return target;
  }

  /** Runs an uncached lookup within the concurrency cap. */
  async #capped(lookup: () => Promise<void>): Promise<void> {
    if (this.#active >= this.#o.maxConnections) {
      throw new SidecarError(ErrorCode.TooManyRequests, 'too many concurrent requests', {
        errorType: 'TooManyRequestsException',
      });
    }
    this.#active += 1;
    try {
      await lookup();
    } finally {
      this.#active -= 1;
    }
  }

  #sendEntry<T>(
    res: ServerResponse,
    outcome: CacheOutcome,
    entry: CacheEntry<T>,
    render: (value: T) => Record<string, unknown>,
  ): undefined {
    let body = this.#bodies.get(entry);
    if (body === undefined) {
      const text = JSON.stringify(render(entry.value));
      body = { text, hitHeaders: valueHeaders(CacheOutcome.Hit, Buffer.byteLength(text)) };
      this.#bodies.set(entry, body);
    }
    res.writeHead(
      200,
      outcome === CacheOutcome.Hit
        ? body.hitHeaders
        : valueHeaders(outcome, Buffer.byteLength(body.text)),
    );
    res.end(body.text);
    return undefined;
  }

  #noteIgnored(path: string, ignored: readonly string[]): void {
    if (ignored.length > 0 && this.#log.enabled('debug')) {
      this.#log.debug('ignored unknown query parameters', { path, parameters: ignored });
    }
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
    try {
      const failure = toHttpError(err);
      const level = failure.status >= 500 ? 'warn' : 'info';
      this.#log[level]('request rejected', {
        method: req.method,
        path: (req.url ?? '').split('?')[0]?.slice(0, 100),
        status: failure.status,
        errorType: failure.errorType,
        ...(failure.status === 500 ? { error: err } : {}),
      });
      const retry = failure.status === 429 || failure.status === 502 || failure.status === 504;
      send(res, failure.status, errorBody(failure), {
        ...(retry ? { 'retry-after': '1' } : {}),
        ...(failure.status === 405 ? { allow: 'GET' } : {}),
      });
    } catch {
      res.destroy();
    }
  }
}

const PING_HEADERS = { 'content-type': 'text/plain', 'cache-control': 'no-store' } as const;

/** How many parsed request targets are remembered; the map starts over when full. */
const MAX_REMEMBERED_TARGETS = 256;
/** Longer targets are parsed every time (bounds the memory of the map to about 128 KiB). */
const MAX_REMEMBERED_TARGET_LENGTH = 512;

/** A request target, routed and parsed. */
type Target =
  | { readonly kind: 'ping' }
  | { readonly kind: 'secret'; readonly path: string; readonly query: SecretQuery }
  | { readonly kind: 'parameter'; readonly path: string; readonly query: ParameterQuery };

/** A cached value's body, with the headers of a cache-hit answer (the common case). */
interface RenderedBody {
  readonly text: string;
  /** Flat `[name, value, ...]` list, as `writeHead` takes it (which does not change it). */
  readonly hitHeaders: OutgoingHttpHeader[];
}

/** Routes and parses a request target; throws the 400 or 404 it deserves. */
function parseTarget(url: string): Target {
  const { path, search } = splitTarget(url);
  if (path === Routes.Ping) return { kind: 'ping' };
  if (path === Routes.SecretsManagerGet) {
    return { kind: 'secret', path, query: parseSecretQuery(new URLSearchParams(search)) };
  }
  if (path === Routes.ParameterGet) {
    return { kind: 'parameter', path, query: parseParameterQuery(new URLSearchParams(search)) };
  }
  throw new SidecarError(ErrorCode.NotFound, `no route for ${JSON.stringify(path.slice(0, 100))}`, {
    errorType: 'NotFound',
  });
}

/** Headers of a value answer, as a flat list. */
function valueHeaders(outcome: CacheOutcome, length: number): OutgoingHttpHeader[] {
  return [
    'content-type',
    'application/json',
    'cache-control',
    'no-store',
    'content-length',
    length,
    CACHE_HEADER,
    outcome,
  ];
}

/** Splits a request target into its path (trailing slashes dropped) and query string. */
function splitTarget(target: string): { path: string; search: string } {
  let raw = target;
  if (!raw.startsWith('/')) {
    // absolute-form (`GET http://host/path`): take the path and query
    try {
      const url = new URL(raw);
      raw = `${url.pathname}${url.search}`;
    } catch {
      return { path: raw, search: '' };
    }
  }
  const q = raw.indexOf('?');
  let path = q === -1 ? raw : raw.slice(0, q);
  const search = q === -1 ? '' : raw.slice(q + 1);
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return { path, search };
}

function checkMethod(req: IncomingMessage): void {
  if (req.method !== 'GET') {
    throw new HttpError(
      405,
      ErrorCode.BadRequest,
      `method ${String(req.method).slice(0, 20)} is not allowed; use GET`,
      { errorType: 'MethodNotAllowed' },
    );
  }
}

/** AWS's error shape, `{"__type","message"}`; a 500 says nothing more than its type. */
function errorBody(failure: HttpError): { __type: string; message?: string } {
  return failure.status === 500
    ? { __type: 'InternalFailure' }
    : { __type: failure.errorType, message: failure.message };
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
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
