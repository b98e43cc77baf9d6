/**
 * The HTTP transport of the sidecar client: one GET on loopback with a hard deadline.
 *
 * Every request uses a fresh connection (`agent: false`). A pooled keep-alive socket
 * can be dead after the sandbox was frozen, and a new loopback connection costs far
 * less than a failed request.
 */
import { request } from 'node:http';

/** A finished HTTP exchange. */
export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** Raised when the deadline passes before the answer is complete. */
export class HttpDeadlineError extends Error {
  readonly code = 'ETIMEDOUT';

  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'HttpDeadlineError';
  }
}

/** Largest answer accepted from the sidecar (a secret is at most 64 KiB; base64 and JSON add some). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * Sends `GET url` and resolves with the status and body, or rejects with the socket
 * error (`code` kept) or an {@link HttpDeadlineError}.
 */
export function httpGet(
  url: URL,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) {
          req.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const timer = setTimeout(() => req.destroy(new HttpDeadlineError(timeoutMs)), timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end();
  });
}
