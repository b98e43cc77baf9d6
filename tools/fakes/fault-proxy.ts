/**
 * An HTTP proxy that sits between an AWS SDK client and moto, counts every call and
 * injects faults. Used by the extension tests and by `make demo` (to count calls).
 *
 * Point the client (or the extension, via `AWS_ENDPOINT_URL`) at
 * {@link FaultProxy.endpoint}. Every call is recorded with its `X-Amz-Target`
 * (e.g. `secretsmanager.GetSecretValue`) and time, whatever the mode.
 */
import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy does with a call. */
export type FaultMode =
  | { readonly kind: 'pass' }
  /** Waits `ms` before forwarding (a large value = a timeout for the client). */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Answers `status` (500 as AWS JSON `InternalServiceError`, others as plain text). */
  | { readonly kind: 'status'; readonly status: number }
  /** Answers 400 `ThrottlingException`. */
  | { readonly kind: 'throttle' }
  /** Answers 400 `AccessDeniedException`. */
  | { readonly kind: 'access-denied' }
  /** Resets the connection without an answer. */
  | { readonly kind: 'reset' };

/** Which calls a rule applies to (see {@link FaultProxy.setMode}). */
export type FaultMatch = string | { readonly target?: string; readonly id?: string };

function matches(match: FaultMatch, target: string, id: string): boolean {
  if (typeof match === 'string') return target.includes(match) || id.includes(match);
  return (
    (match.target === undefined || target.includes(match.target)) &&
    (match.id === undefined || id.includes(match.id))
  );
}

/** One call seen by the proxy. */
export interface ProxiedCall {
  /** `X-Amz-Target`, e.g. `secretsmanager.GetSecretValue` / `AmazonSSM.GetParameter`. */
  readonly target: string;
  /** `SecretId` (Secrets Manager) or `Name` (Parameter Store) from the request body. */
  readonly id: string;
  /** Epoch ms when the call arrived. */
  readonly at: number;
  readonly mode: FaultMode['kind'];
}

/** A running fault-injecting proxy. */
export class FaultProxy {
  readonly #server: Server;
  readonly #upstream: URL;
  readonly #sockets = new Set<Socket>();
  #mode: FaultMode = { kind: 'pass' };
  /** Per-match modes, checked before the default mode, oldest first. */
  readonly #rules: { readonly match: FaultMatch; readonly mode: FaultMode }[] = [];
  readonly calls: ProxiedCall[] = [];

  private constructor(upstream: string) {
    this.#upstream = new URL(upstream);
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => res.destroy());
    });
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  /** Starts a proxy on 127.0.0.1 (free port) in front of `upstream` (e.g. moto's URL). */
  static async start(upstream: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(upstream);
    proxy.#server.listen(0, '127.0.0.1');
    await once(proxy.#server, 'listening');
    return proxy;
  }

  /** `http://127.0.0.1:<port>` */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /**
   * With `only`: sets the mode for the calls it matches (other rules stay; a rule for the
   * same match is replaced). A string matches a call whose target or id contains it; an
   * object matches when its target *and* its id (each if given) are contained. Without
   * `only`: sets the mode of every call and drops all rules.
   */
  setMode(mode: FaultMode, only?: FaultMatch): void {
    if (only === undefined) {
      this.#rules.length = 0;
      this.#mode = mode;
      return;
    }
    const key = JSON.stringify(only);
    const at = this.#rules.findIndex((r) => JSON.stringify(r.match) === key);
    if (at !== -1) this.#rules.splice(at, 1);
    this.#rules.push({ match: only, mode });
  }

  /** Number of calls whose target contains `target` (all when omitted), optionally for one id. */
  count(target?: string, id?: string): number {
    return this.calls.filter(
      (c) =>
        (target === undefined || c.target.includes(target)) && (id === undefined || c.id === id),
    ).length;
  }

  /** Forgets recorded calls. */
  clearCalls(): void {
    this.calls.length = 0;
  }

  /** Stops the proxy and drops every connection. */
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const target = String(req.headers['x-amz-target'] ?? '');
    const id = idOf(body);
    const mode = this.#rules.find((r) => matches(r.match, target, id))?.mode ?? this.#mode;
    this.calls.push({ target, id, at: Date.now(), mode: mode.kind });
    switch (mode.kind) {
      case 'pass':
        return this.#forward(req, res, body);
      case 'delay':
        await new Promise((r) => setTimeout(r, mode.ms));
        if (res.destroyed || req.socket.destroyed) return;
        return this.#forward(req, res, body);
      case 'status':
        if (mode.status === 500) {
          return awsError(res, 500, 'InternalServiceError', 'injected internal error');
        }
        res.writeHead(mode.status, { 'content-type': 'text/plain' });
        res.end('Service Unavailable');
        return;
      case 'throttle':
        return awsError(res, 400, 'ThrottlingException', 'Rate exceeded');
      case 'access-denied':
        return awsError(res, 400, 'AccessDeniedException', 'injected access denied');
      case 'reset':
        req.socket.resetAndDestroy();
        return;
    }
  }

  #forward(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    return new Promise((resolve) => {
      const up = request(
        {
          host: this.#upstream.hostname,
          port: this.#upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: this.#upstream.host },
          agent: false,
        },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
          upRes.on('end', () => resolve());
        },
      );
      up.on('error', () => {
        res.destroy();
        resolve();
      });
      up.end(body);
    });
  }
}

function awsError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-errortype': type,
  });
  res.end(JSON.stringify({ __type: type, message }));
}

function idOf(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { SecretId?: unknown; Name?: unknown };
    const id = parsed.SecretId ?? parsed.Name;
    return typeof id === 'string' ? id : '';
  } catch {
    return '';
  }
}
