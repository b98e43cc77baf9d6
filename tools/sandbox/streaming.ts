/**
 * Lambda response streaming, wire level (shared by the runtime and the sandbox).
 *
 * A streamed response is `POST /runtime/invocation/{id}/response` with header
 * `Lambda-Runtime-Function-Response-Mode: streaming` and a chunked body. With
 * `awslambda.HttpResponseStream` the content type is
 * `application/vnd.awslambda.http-integration-response` and the body starts with a JSON
 * prelude (`{statusCode, headers, cookies}`) followed by 8 NUL bytes. A failure after the
 * body started is reported in the trailers `Lambda-Runtime-Function-Error-Type` and
 * `Lambda-Runtime-Function-Error-Body` (base64 of the JSON error).
 */
import type { StreamPrelude } from './types.ts';

/** Request header that marks a streamed response. */
export const RESPONSE_MODE_HEADER = 'Lambda-Runtime-Function-Response-Mode';
/** Value of {@link RESPONSE_MODE_HEADER} for streaming. */
export const STREAMING_MODE = 'streaming';
/** Content type of a response with a JSON prelude. */
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
/** Default content type of a streamed response. */
export const DEFAULT_STREAM_CONTENT_TYPE = 'application/octet-stream';
/** Number of NUL bytes between the prelude and the body. */
export const PRELUDE_DELIMITER_LENGTH = 8;
/** Trailer carrying the error type of a mid-stream failure. */
export const ERROR_TYPE_TRAILER = 'Lambda-Runtime-Function-Error-Type';
/** Trailer carrying the base64 JSON error body of a mid-stream failure. */
export const ERROR_BODY_TRAILER = 'Lambda-Runtime-Function-Error-Body';

const DELIMITER = Buffer.alloc(PRELUDE_DELIMITER_LENGTH);

/**
 * Splits an HTTP-integration response into its prelude and body. Feed it chunks in order;
 * it returns the body bytes available so far.
 */
export class PreludeSplitter {
  #pending: Buffer | undefined = Buffer.alloc(0);
  #prelude: StreamPrelude | undefined;

  /** The parsed prelude, once the delimiter has been seen. */
  get prelude(): StreamPrelude | undefined {
    return this.#prelude;
  }

  /** True once the prelude is complete. */
  get done(): boolean {
    return this.#pending === undefined;
  }

  /** Consumes `chunk`; returns body bytes that follow the prelude (possibly empty). */
  push(chunk: Buffer): Buffer {
    if (this.#pending === undefined) return chunk;
    const all = Buffer.concat([this.#pending, chunk]);
    const at = all.indexOf(DELIMITER);
    if (at === -1) {
      this.#pending = all;
      return Buffer.alloc(0);
    }
    this.#prelude = parsePrelude(all.subarray(0, at).toString('utf8'));
    this.#pending = undefined;
    return all.subarray(at + PRELUDE_DELIMITER_LENGTH);
  }

  /** Bytes buffered without a delimiter (returned as body if the stream ends early). */
  flush(): Buffer {
    const rest = this.#pending ?? Buffer.alloc(0);
    this.#pending = undefined;
    return rest;
  }
}

function parsePrelude(text: string): StreamPrelude {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as StreamPrelude) : {};
  } catch {
    return {};
  }
}

/** An async-iterable queue of chunks: the producer pushes, one consumer iterates. */
export class ChunkChannel implements AsyncIterable<Buffer> {
  readonly #buffered: Buffer[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  /** Adds a chunk (empty chunks are dropped). */
  push(chunk: Buffer): void {
    if (this.#ended || chunk.length === 0) return;
    this.#buffered.push(chunk);
    this.#notify();
  }

  /** Ends the iteration after the buffered chunks. */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const next = this.#buffered.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}
