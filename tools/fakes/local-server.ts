/**
 * What every local stand-in server shares: listening on 127.0.0.1 on a free
 * port, closing with its open (keep-alive) connections, and reading and writing
 * JSON bodies.
 */
import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** A server listening on 127.0.0.1. */
export interface LocalServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly port: number;
  /** Drops every open connection and stops listening. */
  close(): Promise<void>;
}

/**
 * Serves `handler` on 127.0.0.1 on a free port.
 *
 * @example
 * const server = await listenLocal((req, res) => sendJson(res, 200, { ok: true }));
 * await fetch(`${server.origin}/`);
 * await server.close();
 */
export async function listenLocal(handler: RequestListener): Promise<LocalServer> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Answers `status` with `body` as JSON. `headers` are added and may replace the
 * `content-type`. Returns `true`, so a route handler can `return sendJson(…)`.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): true {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
  return true;
}

/** Reads the whole request body as UTF-8 text. */
export function readText(req: IncomingMessage, done: (text: string) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
}

/** Reads the request body as JSON: `undefined` when it is empty or not JSON. */
export function readJson(req: IncomingMessage, done: (body: unknown) => void): void {
  readText(req, (text) => {
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    done(body);
  });
}
