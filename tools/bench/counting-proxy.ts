/**
 * A loopback HTTP proxy in front of moto that counts the AWS calls passing through it, by
 * caller and action. The caller is told apart by user agent: Powertools adds
 * `PT/parameters/...`, the bench's direct client adds {@link DIRECT_USER_AGENT}, and
 * everything else comes from the extension.
 */
import { type IncomingHttpHeaders, request } from 'node:http';
import { listenLocal } from '../fakes/local-server.ts';
import { DIRECT_USER_AGENT } from './methods.ts';

/** Who made an upstream call. */
export const Caller = { Sidecar: 'sidecar', Powertools: 'powertools', Direct: 'direct' } as const;

/** One of {@link Caller}. */
export type Caller = (typeof Caller)[keyof typeof Caller];

/** One call seen by the proxy. */
export interface UpstreamCall {
  readonly caller: Caller;
  /** e.g. `GetSecretValue`, from `X-Amz-Target`. */
  readonly action: string;
  /** Epoch ms the request arrived. */
  readonly at: number;
}

/** Classifies a request by its user-agent headers. */
export function callerOf(headers: IncomingHttpHeaders): Caller {
  const ua = `${headers['user-agent'] ?? ''} ${headers['x-amz-user-agent'] ?? ''}`;
  if (ua.includes(DIRECT_USER_AGENT)) return Caller.Direct;
  if (ua.includes('PT/parameters/')) return Caller.Powertools;
  return Caller.Sidecar;
}

/** The action of an AWS JSON-protocol request (`secretsmanager.GetSecretValue` → `GetSecretValue`). */
export function actionOf(headers: IncomingHttpHeaders): string {
  const target = headers['x-amz-target'];
  const value = Array.isArray(target) ? target[0] : target;
  if (!value) return 'unknown';
  return value.slice(value.lastIndexOf('.') + 1);
}

/** A running counting proxy. */
export interface CountingProxy {
  /** `http://127.0.0.1:<port>`, to use as `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  /** Calls seen so far, oldest first. */
  readonly calls: readonly UpstreamCall[];
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (port 0) that forwards everything to `target`. */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const calls: UpstreamCall[] = [];
  const server = await listenLocal((req, res) => {
    calls.push({ caller: callerOf(req.headers), action: actionOf(req.headers), at: Date.now() });
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  return { endpoint: server.origin, calls, close: server.close };
}
