/**
 * One invocation as the Runtime API sees it: the event handed to the runtime and the
 * response (buffered or streamed) or error it posts back.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { QueuedEvent } from './agent.ts';
import { SandboxErrorType } from './errors.ts';
import {
  ChunkChannel,
  ERROR_BODY_TRAILER,
  ERROR_TYPE_TRAILER,
  HTTP_INTEGRATION_CONTENT_TYPE,
  PreludeSplitter,
  RESPONSE_MODE_HEADER,
  STREAMING_MODE,
} from './streaming.ts';
import type { InvokeError, StreamPrelude } from './types.ts';

/** Lambda's limit on a buffered response (6 MB as Lambda counts it). */
export const MAX_BUFFERED_RESPONSE_BYTES = 6 * 1024 * 1024;

/** What the runtime answered. */
export interface InvocationOutcome {
  /** Epoch ms the response or error was complete. */
  readonly endedAt: number;
  /** Body bytes (after the prelude for HTTP-integration streams). */
  readonly body: Buffer;
  readonly prelude?: StreamPrelude;
  /** Set for an error post, an error trailer or an oversized response. */
  readonly error?: InvokeError;
  /** Parsed error body posted by the runtime, if any. */
  readonly errorBody?: unknown;
}

/** An answer for the runtime's POST. */
export interface RuntimeReply {
  readonly status: number;
  readonly body: unknown;
}

/** Identity of the invocation as Lambda reports it. */
export interface InvocationIdentity {
  readonly invokedFunctionArn: string;
  readonly deadlineMs: number;
}

function traceId(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Reads `{errorType, errorMessage}` from a posted error body, falling back to the header. */
export function errorFrom(body: unknown, headerType: string | undefined): InvokeError {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const errorType =
    (typeof record.errorType === 'string' && record.errorType) || headerType || 'Unhandled';
  const errorMessage =
    typeof record.errorMessage === 'string'
      ? record.errorMessage
      : typeof body === 'string'
        ? body
        : '';
  return { errorType, errorMessage };
}

/** State of one invocation. */
export class Invocation {
  readonly requestId = randomUUID();
  readonly traceId = traceId();
  readonly startedAt = Date.now();
  readonly deadlineMs: number;
  readonly invokedFunctionArn: string;
  /** Body chunks as they arrive, for `invokeStream()`. */
  readonly chunks = new ChunkChannel();
  /** Resolves when the runtime's answer is complete. */
  readonly outcome: Promise<InvocationOutcome>;
  /** Resolves once the prelude (if any) is known or the answer is complete. */
  readonly started: Promise<void>;
  readonly #payload: string;
  #resolveOutcome!: (outcome: InvocationOutcome) => void;
  #resolveStarted!: () => void;
  #prelude: StreamPrelude | undefined;
  #answered = false;

  constructor(payload: unknown, identity: InvocationIdentity) {
    this.#payload = JSON.stringify(payload ?? null);
    this.deadlineMs = identity.deadlineMs;
    this.invokedFunctionArn = identity.invokedFunctionArn;
    this.outcome = new Promise((resolve) => {
      this.#resolveOutcome = resolve;
    });
    this.started = new Promise((resolve) => {
      this.#resolveStarted = resolve;
    });
  }

  /** The prelude of a streamed HTTP-integration response, once known. */
  get prelude(): StreamPrelude | undefined {
    return this.#prelude;
  }

  /** True once a response or error was accepted. */
  get answered(): boolean {
    return this.#answered;
  }

  /** The `/runtime/invocation/next` answer. */
  runtimeEvent(): QueuedEvent {
    return {
      body: this.#payload,
      headers: {
        'Content-Type': 'application/json',
        'Lambda-Runtime-Aws-Request-Id': this.requestId,
        'Lambda-Runtime-Deadline-Ms': String(this.deadlineMs),
        'Lambda-Runtime-Invoked-Function-Arn': this.invokedFunctionArn,
        'Lambda-Runtime-Trace-Id': this.traceId,
      },
    };
  }

  /** The INVOKE event for extensions. */
  extensionEvent(): QueuedEvent {
    return {
      body: JSON.stringify({
        eventType: 'INVOKE',
        deadlineMs: this.deadlineMs,
        requestId: this.requestId,
        invokedFunctionArn: this.invokedFunctionArn,
        tracing: { type: 'X-Amzn-Trace-Id', value: this.traceId },
      }),
      headers: {
        'Content-Type': 'application/json',
        'Lambda-Extension-Event-Identifier': randomUUID(),
      },
    };
  }

  /** Handles `POST /runtime/invocation/{id}/response` (buffered or streamed). */
  async acceptResponse(req: IncomingMessage): Promise<RuntimeReply> {
    if (this.#answered) return alreadyAnswered();
    this.#answered = true;
    const streaming = header(req, RESPONSE_MODE_HEADER)?.toLowerCase() === STREAMING_MODE;
    return streaming ? this.#readStream(req) : this.#readBuffered(req);
  }

  /** Handles `POST /runtime/invocation/{id}/error`. */
  async acceptError(req: IncomingMessage): Promise<RuntimeReply> {
    if (this.#answered) return alreadyAnswered();
    this.#answered = true;
    const text = (await readAll(req, MAX_BUFFERED_RESPONSE_BYTES)).toString('utf8');
    const errorBody = parseJson(text);
    const error = errorFrom(errorBody, header(req, 'Lambda-Runtime-Function-Error-Type'));
    this.#finish({ endedAt: Date.now(), body: Buffer.from(text), error, errorBody });
    return accepted();
  }

  /** Ends the chunk stream and resolves the outcome when the sandbox gives up (timeout, crash). */
  abandon(error: InvokeError): void {
    this.#answered = true;
    this.#finish({ endedAt: Date.now(), body: Buffer.alloc(0), error });
  }

  async #readBuffered(req: IncomingMessage): Promise<RuntimeReply> {
    const body = await readAll(req, MAX_BUFFERED_RESPONSE_BYTES);
    if (body.length > MAX_BUFFERED_RESPONSE_BYTES) {
      const error = {
        errorType: SandboxErrorType.ResponseSizeTooLarge,
        errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_BUFFERED_RESPONSE_BYTES} bytes).`,
      };
      this.#finish({ endedAt: Date.now(), body: Buffer.alloc(0), error, errorBody: error });
      return { status: 413, body: error };
    }
    this.chunks.push(body);
    this.#finish({ endedAt: Date.now(), body });
    return accepted();
  }

  async #readStream(req: IncomingMessage): Promise<RuntimeReply> {
    const contentType = header(req, 'content-type') ?? '';
    const splitter = contentType.startsWith(HTTP_INTEGRATION_CONTENT_TYPE)
      ? new PreludeSplitter()
      : undefined;
    if (!splitter) this.#resolveStarted();
    const parts: Buffer[] = [];
    const take = (bytes: Buffer): void => {
      if (bytes.length === 0) return;
      parts.push(bytes);
      this.chunks.push(bytes);
    };
    const complete = await new Promise<boolean>((resolve) => {
      req.on('data', (chunk: Buffer) => {
        if (!splitter) return take(chunk);
        const wasDone = splitter.done;
        const body = splitter.push(chunk);
        if (!wasDone && splitter.done) {
          this.#prelude = splitter.prelude;
          this.#resolveStarted();
        }
        take(body);
      });
      req.once('end', () => resolve(true));
      req.once('close', () => resolve(req.complete));
    });
    if (splitter && !splitter.done) take(splitter.flush());
    const errorType = complete ? req.trailers[ERROR_TYPE_TRAILER.toLowerCase()] : undefined;
    let error: InvokeError | undefined;
    let errorBody: unknown;
    if (errorType) {
      const encoded = req.trailers[ERROR_BODY_TRAILER.toLowerCase()] ?? '';
      errorBody = parseJson(Buffer.from(encoded, 'base64').toString('utf8'));
      error = errorFrom(errorBody, errorType);
    } else if (!complete) {
      error = {
        errorType: SandboxErrorType.RuntimeExitError,
        errorMessage: 'the runtime closed the response stream before finishing it',
      };
    }
    const outcome: InvocationOutcome = {
      endedAt: Date.now(),
      body: Buffer.concat(parts),
      ...(this.#prelude ? { prelude: this.#prelude } : {}),
      ...(error ? { error, errorBody } : {}),
    };
    this.#finish(outcome);
    return accepted();
  }

  #finish(outcome: InvocationOutcome): void {
    this.chunks.end();
    this.#resolveStarted();
    this.#resolveOutcome(outcome);
  }
}

function accepted(): RuntimeReply {
  return { status: 202, body: { status: 'OK' } };
}

function alreadyAnswered(): RuntimeReply {
  return {
    status: 400,
    body: {
      errorType: 'InvalidStateTransition',
      errorMessage: 'this invocation already has a response or an error',
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Reads a request body, keeping at most `limit + 1` bytes (enough to detect an oversize). */
export async function readAll(req: IncomingMessage, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (size <= limit) parts.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(parts).subarray(0, Math.min(size, limit + 1));
}
