/**
 * The runtime's side of the Runtime API (2018-06-01), over `node:http` with `agent: false`
 * and no timeouts: `/invocation/next` is a long poll that may outlive a freeze (undici's
 * 300 s headers timeout would break it).
 */
import { type ClientRequest, type IncomingMessage, request } from 'node:http';

/** An invocation as `/runtime/invocation/next` delivers it. */
export interface NextInvocation {
  readonly requestId: string;
  readonly deadlineMs: number;
  readonly invokedFunctionArn: string;
  readonly traceId: string | undefined;
  readonly clientContext: string | undefined;
  readonly cognitoIdentity: string | undefined;
  readonly event: unknown;
}

/** The JSON body Lambda expects for an error. */
export interface RuntimeErrorBody {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: string[];
}

/** Turns anything thrown into Lambda's error body. */
export function toErrorBody(err: unknown): RuntimeErrorBody {
  if (err instanceof Error) {
    return {
      errorType: err.name || 'Error',
      errorMessage: err.message,
      trace: (err.stack ?? '').split('\n'),
    };
  }
  return { errorType: 'Error', errorMessage: String(err), trace: [] };
}

function single(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A minimal Runtime API client. */
export class RuntimeClient {
  readonly #host: string;
  readonly #port: number;

  /** @param runtimeApi `host:port` from `AWS_LAMBDA_RUNTIME_API` */
  constructor(runtimeApi: string) {
    const at = runtimeApi.lastIndexOf(':');
    this.#host = runtimeApi.slice(0, at);
    this.#port = Number(runtimeApi.slice(at + 1));
  }

  /** Starts a request; the caller writes the body. */
  open(
    method: string,
    path: string,
    headers: Record<string, string>,
  ): { req: ClientRequest; response: Promise<{ status: number; body: string }> } {
    const req = request({
      host: this.#host,
      port: this.#port,
      method,
      path: `/2018-06-01/runtime${path}`,
      headers,
      agent: false,
    });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.once('error', reject);
      req.once('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.once('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }),
        );
        res.once('error', reject);
      });
    });
    return { req, response };
  }

  async #post(path: string, body: string, headers: Record<string, string> = {}): Promise<void> {
    const { req, response } = this.open('POST', path, {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      ...headers,
    });
    req.end(body);
    const res = await response;
    if (res.status >= 300) {
      throw new Error(`POST ${path} answered ${res.status}: ${res.body}`);
    }
  }

  /** Long-polls for the next invocation (no timeout). */
  async next(): Promise<NextInvocation> {
    const { req, response } = this.open('GET', '/invocation/next', {});
    const headers = new Promise<IncomingMessage>((resolve) => req.once('response', resolve));
    req.end();
    const [res, { status, body }] = await Promise.all([headers, response]);
    if (status !== 200) throw new Error(`GET /invocation/next answered ${status}: ${body}`);
    const requestId = single(res, 'lambda-runtime-aws-request-id') ?? '';
    let event: unknown;
    try {
      event = JSON.parse(body);
    } catch {
      event = body;
    }
    return {
      requestId,
      deadlineMs: Number(single(res, 'lambda-runtime-deadline-ms') ?? Date.now()),
      invokedFunctionArn: single(res, 'lambda-runtime-invoked-function-arn') ?? '',
      traceId: single(res, 'lambda-runtime-trace-id'),
      clientContext: single(res, 'lambda-runtime-client-context'),
      cognitoIdentity: single(res, 'lambda-runtime-cognito-identity'),
      event,
    };
  }

  /** Posts a buffered response. */
  async respond(requestId: string, result: unknown): Promise<void> {
    const body = result === undefined ? 'null' : JSON.stringify(result);
    await this.#post(`/invocation/${encodeURIComponent(requestId)}/response`, body ?? 'null');
  }

  /** Posts an invocation error. */
  async fail(requestId: string, error: RuntimeErrorBody): Promise<void> {
    await this.#post(`/invocation/${encodeURIComponent(requestId)}/error`, JSON.stringify(error), {
      'Lambda-Runtime-Function-Error-Type': error.errorType,
    });
  }

  /** Posts an init error. */
  async failInit(error: RuntimeErrorBody): Promise<void> {
    await this.#post('/init/error', JSON.stringify(error), {
      'Lambda-Runtime-Function-Error-Type': error.errorType,
    });
  }
}
