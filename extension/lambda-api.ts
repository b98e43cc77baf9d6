/**
 * Client of the Lambda Extensions API (2020-01-01): register, event/next,
 * init/error, exit/error.
 *
 * Uses `node:http` with `agent: false` and no timeout: `event/next` is a long
 * poll that may span a freeze of any length (fetch/undici would abort it after
 * 300 s, and a pooled socket can go stale across a freeze).
 */
import { request } from 'node:http';
import { ErrorCode, SidecarError } from '../shared/errors.ts';
import type { ExtensionEventType } from './config.ts';

const BASE = '/2020-01-01/extension';

/**
 * Set by the launcher when it registered already (the `parallel` init mode, so the
 * function's runtime can start before Node has): the identifier Lambda answered.
 */
export const LAUNCHER_REGISTRATION_ENV = 'SECRET_SIDECAR_EXTENSION_ID';

/** The INVOKE event. */
export interface InvokeEvent {
  readonly eventType: 'INVOKE';
  /** Epoch ms. */
  readonly deadlineMs: number;
  readonly requestId: string;
  readonly invokedFunctionArn: string;
}

/** The SHUTDOWN event. */
export interface ShutdownEvent {
  readonly eventType: 'SHUTDOWN';
  /** Epoch ms. */
  readonly deadlineMs: number;
  /** Opaque (`spindown`, `timeout`, `failure`, ...). */
  readonly shutdownReason: string;
}

/** An event from `event/next`. */
export type LambdaEvent = InvokeEvent | ShutdownEvent;

/** What `register` answers. */
export interface Registration {
  readonly extensionId: string;
  readonly functionName: string | undefined;
  readonly functionVersion: string | undefined;
  readonly handler: string | undefined;
}

/** Body of init/error and exit/error. */
export interface ErrorReport {
  readonly errorMessage: string;
  readonly errorType: string;
}

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** Extensions API client for one extension. */
export class ExtensionsApiClient {
  readonly #host: string;
  readonly #port: number;
  #id: string | undefined;

  /** @param runtimeApi `AWS_LAMBDA_RUNTIME_API`, e.g. `127.0.0.1:9001` */
  constructor(runtimeApi: string) {
    const url = new URL(`http://${runtimeApi}`);
    this.#host = url.hostname;
    this.#port = Number(url.port || 80);
  }

  /** The identifier from `register`, once registered. */
  get extensionId(): string | undefined {
    return this.#id;
  }

  /** Takes over a registration the launcher made (its identifier). */
  adopt(extensionId: string): void {
    this.#id = extensionId;
  }

  /** Registers under `name` (must equal the file name in /opt/extensions) for `events`. */
  async register(name: string, events: readonly ExtensionEventType[]): Promise<Registration> {
    const res = await this.#call(
      'POST',
      '/register',
      { 'Lambda-Extension-Name': name },
      { events },
    );
    if (res.status !== 200) throw apiError('register', res);
    const id = header(res, 'lambda-extension-identifier');
    if (!id) {
      throw new SidecarError(
        ErrorCode.Internal,
        'register answered without Lambda-Extension-Identifier',
      );
    }
    this.#id = id;
    const body = parseJson(res.body) as Record<string, unknown>;
    return {
      extensionId: id,
      functionName: str(body.functionName),
      functionVersion: str(body.functionVersion),
      handler: str(body.handler),
    };
  }

  /** Blocks until the next event. Calling it also acknowledges the previous one. */
  async next(): Promise<LambdaEvent> {
    const res = await this.#call('GET', '/event/next', this.#idHeader());
    if (res.status !== 200) throw apiError('event/next', res);
    return parseEvent(res.body);
  }

  /** Reports a failed initialisation; Lambda fails the init. */
  async initError(report: ErrorReport): Promise<void> {
    await this.#report('/init/error', report);
  }

  /** Reports a failure before exiting; Lambda resets the environment. */
  async exitError(report: ErrorReport): Promise<void> {
    await this.#report('/exit/error', report);
  }

  async #report(path: string, report: ErrorReport): Promise<void> {
    const res = await this.#call(
      'POST',
      path,
      { ...this.#idHeader(), 'Lambda-Extension-Function-Error-Type': report.errorType },
      report,
    );
    if (res.status >= 300) throw apiError(path.slice(1), res);
  }

  #idHeader(): Record<string, string> {
    if (!this.#id) throw new SidecarError(ErrorCode.Internal, 'not registered');
    return { 'Lambda-Extension-Identifier': this.#id };
  }

  #call(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<RawResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<RawResponse>((resolve, reject) => {
      const req = request(
        {
          host: this.#host,
          port: this.#port,
          method,
          path: `${BASE}${path}`,
          agent: false,
          headers: {
            ...headers,
            ...(payload
              ? { 'content-type': 'application/json', 'content-length': payload.length }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
      req.on('error', (err) =>
        reject(
          new SidecarError(ErrorCode.UpstreamUnavailable, `Extensions API ${path} unreachable`, {
            cause: err,
            errorType: 'Extension.ApiUnreachable',
          }),
        ),
      );
      req.end(payload);
    });
  }
}

function parseEvent(text: string): LambdaEvent {
  const body = parseJson(text) as Record<string, unknown>;
  const deadlineMs = typeof body.deadlineMs === 'number' ? body.deadlineMs : 0;
  if (body.eventType === 'INVOKE') {
    return {
      eventType: 'INVOKE',
      deadlineMs,
      requestId: str(body.requestId) ?? '',
      invokedFunctionArn: str(body.invokedFunctionArn) ?? '',
    };
  }
  if (body.eventType === 'SHUTDOWN') {
    return { eventType: 'SHUTDOWN', deadlineMs, shutdownReason: str(body.shutdownReason) ?? '' };
  }
  throw new SidecarError(
    ErrorCode.BadRequest,
    `event/next answered an unknown event type ${JSON.stringify(String(body.eventType))}`,
  );
}

function parseJson(text: string): unknown {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? v : {};
  } catch (err) {
    throw new SidecarError(ErrorCode.BadRequest, 'Extensions API answered invalid JSON', {
      cause: err,
    });
  }
}

function apiError(what: string, res: RawResponse): SidecarError {
  let type = '';
  try {
    const b = JSON.parse(res.body) as { errorType?: unknown };
    type = typeof b.errorType === 'string' ? b.errorType : '';
  } catch {
    // body is not JSON; the status says enough
  }
  return new SidecarError(
    ErrorCode.UpstreamRejected,
    `Extensions API ${what} answered ${res.status}${type ? ` ${type}` : ''}`,
    { errorType: type || 'Extension.ApiError' },
  );
}

function header(res: RawResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
