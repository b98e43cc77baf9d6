/**
 * The runtime side of Lambda response streaming: the writable `responseStream` a
 * streamified handler receives, and the `awslambda` helpers (`streamifyResponse`,
 * `HttpResponseStream.from`) Lambda's Node runtime installs as a global.
 */
import type { ClientRequest } from 'node:http';
import { Writable } from 'node:stream';
import type { RuntimeClient, RuntimeErrorBody } from './runtime-client.ts';
import {
  DEFAULT_STREAM_CONTENT_TYPE,
  ERROR_BODY_TRAILER,
  ERROR_TYPE_TRAILER,
  HTTP_INTEGRATION_CONTENT_TYPE,
  PRELUDE_DELIMITER_LENGTH,
  RESPONSE_MODE_HEADER,
  STREAMING_MODE,
} from './streaming.ts';

/** The marker Lambda's Node runtime puts on a streamified handler. */
export const STREAMING_HANDLER = Symbol.for('aws.lambda.runtime.handler.streaming');

/** Writes the bytes that must precede the body (used by `HttpResponseStream.from`). */
type BeforeFirstWrite = (write: (chunk: string | Uint8Array) => void) => void;

/** The writable stream a streamified handler writes its response to. */
export class ResponseStream extends Writable {
  readonly #client: RuntimeClient;
  readonly #requestId: string;
  #contentType = DEFAULT_STREAM_CONTENT_TYPE;
  #req: ClientRequest | undefined;
  #response: Promise<{ status: number; body: string }> | undefined;
  #beforeFirstWrite: BeforeFirstWrite | undefined;

  constructor(client: RuntimeClient, requestId: string) {
    super();
    this.#client = client;
    this.#requestId = requestId;
  }

  /** Sets the response content type; only before the first write. */
  setContentType(contentType: string): void {
    if (this.#req) throw new Error('setContentType must be called before the first write');
    this.#contentType = contentType;
  }

  /** Registers bytes to send before the body (the HTTP-integration prelude). */
  setBeforeFirstWrite(hook: BeforeFirstWrite): void {
    if (this.#req) throw new Error('the response has already started');
    this.#beforeFirstWrite = hook;
  }

  /** True once the response request has been opened (something was written). */
  get started(): boolean {
    return this.#req !== undefined;
  }

  #open(): ClientRequest {
    if (this.#req) return this.#req;
    const { req, response } = this.#client.open(
      'POST',
      `/invocation/${encodeURIComponent(this.#requestId)}/response`,
      {
        [RESPONSE_MODE_HEADER]: STREAMING_MODE,
        'Content-Type': this.#contentType,
        'Transfer-Encoding': 'chunked',
        Trailer: `${ERROR_TYPE_TRAILER}, ${ERROR_BODY_TRAILER}`,
      },
    );
    response.catch(() => undefined);
    this.#req = req;
    this.#response = response;
    this.#beforeFirstWrite?.((chunk) => req.write(chunk));
    return req;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error) => void): void {
    const req = this.#open();
    if (req.write(chunk)) done();
    else req.once('drain', () => done());
  }

  override _final(done: (err?: Error) => void): void {
    this.#open().end();
    done();
  }

  /** Waits until the stream ended and the Runtime API accepted the response. */
  async completed(): Promise<void> {
    if (!this.writableFinished) {
      await new Promise<void>((resolve, reject) => {
        this.once('finish', resolve);
        this.once('error', reject);
      });
    }
    const res = await this.#response;
    if (res && res.status >= 300) {
      throw new Error(`streamed response answered ${res.status}: ${res.body}`);
    }
  }

  /**
   * Reports a failure after the body started: the error goes in the trailers.
   * Returns false if nothing was sent yet (post a regular error instead).
   */
  async failMidStream(error: RuntimeErrorBody): Promise<boolean> {
    const req = this.#req;
    if (!req) return false;
    if (!req.writableEnded) {
      req.addTrailers({
        [ERROR_TYPE_TRAILER]: error.errorType,
        [ERROR_BODY_TRAILER]: Buffer.from(JSON.stringify(error)).toString('base64'),
      });
      req.end();
    }
    this.destroy();
    await this.#response?.catch(() => undefined);
    return true;
  }
}

/** A handler marked by `streamifyResponse`. */
export type StreamingHandler = ((
  event: unknown,
  responseStream: ResponseStream,
  context: unknown,
) => unknown) & { [STREAMING_HANDLER]?: string };

/** True if `handler` was wrapped with `awslambda.streamifyResponse`. */
export function isStreamingHandler(handler: unknown): handler is StreamingHandler {
  return (
    typeof handler === 'function' && (handler as StreamingHandler)[STREAMING_HANDLER] === 'response'
  );
}

/** The `awslambda` global of Lambda's Node runtime. */
export const awslambda = {
  /** Marks `handler` as a response-streaming handler `(event, responseStream, context)`. */
  streamifyResponse<T extends (...args: never[]) => unknown>(handler: T): T {
    (handler as unknown as StreamingHandler)[STREAMING_HANDLER] = 'response';
    return handler;
  },
  HttpResponseStream: {
    /** Makes `stream` an HTTP-integration response: JSON prelude, 8 NUL bytes, body. */
    from(stream: ResponseStream, prelude: Record<string, unknown>): ResponseStream {
      stream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
      const metadata = JSON.stringify(prelude);
      stream.setBeforeFirstWrite((write) => {
        write(metadata);
        write(new Uint8Array(PRELUDE_DELIMITER_LENGTH));
      });
      return stream;
    },
  },
} as const;
