/**
 * A fake OpenAI-compatible inference API on node:http, for tests and the local demo.
 *
 * It speaks the real paths and JSON: `POST …/chat/completions` (including
 * `stream: true` server-sent events in OpenAI's chunk format) and `GET …/models`,
 * under any prefix (`/v1`, Gemini's `/v1beta/openai`, …). It accepts only keys that are
 * valid in a {@link KeyRegistry}, answers errors as `{error:{message,type,param,code}}`,
 * and never echoes a key back (like the real API, which masks it).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KeyRegistry } from './key-registry.ts';
import { listenLocal, sendJson } from './local-server.ts';

/** A scripted failure or delay for the next matching requests. */
export type ChatFault =
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly retryAfter?: number;
      /** Wait this long before answering. */
      readonly afterMs?: number;
    }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'drop' }
  | { readonly kind: 'cut'; readonly afterChunks: number };

/** The scripted-failure queue of a fake server. */
export class ChatFaults {
  #queue: ChatFault[] = [];

  /** The next `times` completion requests fail with `status` (401, 429, 500, …). */
  failNext(status: number, times = 1, retryAfter?: number): void {
    for (let i = 0; i < times; i++) this.#queue.push({ kind: 'status', status, retryAfter });
  }

  /** The next completion request waits `ms`, then fails with `status` (a slow 401, ...). */
  failNextAfter(ms: number, status: number): void {
    this.#queue.push({ kind: 'status', status, afterMs: ms });
  }

  /** The next `times` completion requests wait `ms` before answering. */
  delayNext(ms: number, times = 1): void {
    for (let i = 0; i < times; i++) this.#queue.push({ kind: 'delay', ms });
  }

  /** The next `times` completion requests get their connection destroyed without an answer. */
  dropNext(times = 1): void {
    for (let i = 0; i < times; i++) this.#queue.push({ kind: 'drop' });
  }

  /** The next streamed completion loses its connection after `afterChunks` content chunks. */
  cutStreamNext(afterChunks = 1): void {
    this.#queue.push({ kind: 'cut', afterChunks });
  }

  /** Removes every scripted fault. */
  clear(): void {
    this.#queue = [];
  }

  /** Faults not used yet. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Takes the next fault, if any. */
  take(): ChatFault | undefined {
    return this.#queue.shift();
  }
}

/** What the fake recorded about one request (never the key itself). */
export interface ChatRequestRecord {
  readonly path: string;
  readonly method: string;
  /** Registry id of the presented key, `invalid` if not valid, `none` if absent. */
  readonly keyId: string;
  readonly status: number;
  readonly model?: string;
  readonly stream?: boolean;
  readonly messageCount?: number;
  readonly maxTokens?: number;
}

/** What happened to one streamed answer. */
export interface StreamRecord {
  /** Content chunks written. */
  chunks: number;
  /** True once `[DONE]` was written. */
  completed: boolean;
  /** True when the client closed the connection before the end. */
  clientGone: boolean;
}

/** Options of {@link createOpenAIChatHandler} and {@link startOpenAIChatServer}. */
export interface OpenAIChatOptions {
  /** Keys the fake accepts. */
  readonly registry: KeyRegistry;
  /** Models listed by `/models` and accepted by completions. @default a few common ids */
  readonly models?: readonly string[];
  /** Scripted failures. @default a new queue */
  readonly faults?: ChatFaults;
  /** Request log to append to. @default a new array */
  readonly requests?: ChatRequestRecord[];
  /** Stream log to append to. @default a new array */
  readonly streams?: StreamRecord[];
  /** Pause between streamed chunks, in ms. @default 0 */
  readonly chunkDelayMs?: number;
  /** Builds the answer text. @default `Echo: <last user message>` */
  readonly answer?: (
    messages: readonly { role: string; content: string }[],
    model: string,
  ) => string;
}

/** A running fake server. */
export interface OpenAIChatServer {
  /** Base URL to give the OpenAI SDK, e.g. `http://127.0.0.1:41234/v1`. */
  readonly url: string;
  /** Origin without path, e.g. `http://127.0.0.1:41234`. */
  readonly origin: string;
  readonly faults: ChatFaults;
  readonly requests: ChatRequestRecord[];
  readonly streams: StreamRecord[];
  close(): Promise<void>;
}

const DEFAULT_MODELS = [
  'gpt-4o-mini',
  'gpt-4.1-mini',
  'gemini-2.0-flash',
  'claude-3-5-haiku-latest',
];
const MAX_BODY = 1024 * 1024;

/**
 * A mountable request handler. Returns true when it took the request (paths ending in
 * `/chat/completions` or `/models`), false to let another handler try.
 */
export function createOpenAIChatHandler(
  options: OpenAIChatOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const models = options.models ?? DEFAULT_MODELS;
  const faults = options.faults ?? new ChatFaults();
  const requests = options.requests ?? [];
  const streams = options.streams ?? [];
  const answerOf = options.answer ?? defaultAnswer;
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const isCompletions = path.endsWith('/chat/completions');
    const isModels = path.endsWith('/models');
    if (!isCompletions && !isModels) return false;
    const keyId = keyIdOf(req, options.registry);
    const record = (status: number, extra: Partial<ChatRequestRecord> = {}): void => {
      requests.push({ path, method: req.method ?? 'GET', keyId, status, ...extra });
    };
    if (keyId === 'none' || keyId === 'invalid') {
      drain(req);
      record(401);
      sendError(res, 401, {
        message:
          keyId === 'none'
            ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            : 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      });
      return true;
    }
    if (isModels) {
      drain(req);
      record(200);
      reply(res, 200, {
        object: 'list',
        data: models.map((id) => ({
          id,
          object: 'model',
          created: 1_700_000_000,
          owned_by: 'fake',
        })),
      });
      return true;
    }
    if (req.method !== 'POST') {
      drain(req);
      record(405);
      sendError(res, 405, { message: 'Method not allowed', type: 'invalid_request_error' });
      return true;
    }
    handleCompletion(req, res, {
      models,
      faults,
      answerOf,
      chunkDelayMs: options.chunkDelayMs ?? 0,
      record,
      streams,
    }).catch(() => res.destroy());
    return true;
  };
}

/**
 * Starts the fake on `127.0.0.1:0`.
 *
 * @example
 * const registry = new KeyRegistry();
 * registry.add('sk-test-1');
 * const fake = await startOpenAIChatServer({ registry });
 * new OpenAI({ apiKey: 'sk-test-1', baseURL: fake.url });
 */
export async function startOpenAIChatServer(options: OpenAIChatOptions): Promise<OpenAIChatServer> {
  const faults = options.faults ?? new ChatFaults();
  const requests = options.requests ?? [];
  const streams = options.streams ?? [];
  const handle = createOpenAIChatHandler({ ...options, faults, requests, streams });
  const server = await listenLocal((req, res) => {
    if (!handle(req, res)) {
      drain(req);
      sendError(res, 404, { message: 'Not found', type: 'invalid_request_error' });
    }
  });
  return {
    url: `${server.origin}/v1`,
    origin: server.origin,
    faults,
    requests,
    streams,
    close: server.close,
  };
}

interface CompletionContext {
  readonly models: readonly string[];
  readonly faults: ChatFaults;
  readonly answerOf: NonNullable<OpenAIChatOptions['answer']>;
  readonly chunkDelayMs: number;
  readonly record: (status: number, extra?: Partial<ChatRequestRecord>) => void;
  readonly streams: StreamRecord[];
}

async function handleCompletion(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: CompletionContext,
): Promise<void> {
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(await readBody(req));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    body = parsed as Record<string, unknown>;
  } catch {
    ctx.record(400);
    sendError(res, 400, {
      message:
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
      type: 'invalid_request_error',
    });
    return;
  }
  const model = typeof body.model === 'string' ? body.model : '';
  const stream = body.stream === true;
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : undefined;
  const extra = { model, stream, messageCount: messages.length, maxTokens };

  const fault = ctx.faults.take();
  if (fault?.kind === 'delay') await sleep(fault.ms);
  if (fault?.kind === 'status' && fault.afterMs !== undefined) await sleep(fault.afterMs);
  if (res.destroyed || req.socket.destroyed) {
    ctx.record(0, extra);
    return;
  }
  if (fault?.kind === 'drop') {
    ctx.record(0, extra);
    req.socket.destroy();
    return;
  }
  if (fault?.kind === 'status') {
    ctx.record(fault.status, extra);
    sendFault(res, fault.status, fault.retryAfter);
    return;
  }
  if (!ctx.models.includes(model)) {
    ctx.record(404, extra);
    sendError(res, 404, {
      message: `The model \`${model}\` does not exist or you do not have access to it.`,
      type: 'invalid_request_error',
      code: 'model_not_found',
    });
    return;
  }
  const chat = messages.filter(isMessage);
  if (chat.length === 0) {
    ctx.record(400, extra);
    sendError(res, 400, {
      message: "Invalid value for 'messages': expected a non-empty array of messages.",
      type: 'invalid_request_error',
      param: 'messages',
      code: 'invalid_value',
    });
    return;
  }
  const text = ctx.answerOf(chat, model);
  const promptTokens = chat.reduce((n, m) => n + countTokens(m.content), 0);
  const completionTokens = countTokens(text);
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
  const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  ctx.record(200, extra);
  if (!stream) {
    reply(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage,
      service_tier: 'default',
      system_fingerprint: 'fp_fake',
    });
    return;
  }
  const includeUsage =
    typeof body.stream_options === 'object' &&
    body.stream_options !== null &&
    (body.stream_options as { include_usage?: unknown }).include_usage === true;
  const log: StreamRecord = { chunks: 0, completed: false, clientGone: false };
  ctx.streams.push(log);
  res.once('close', () => {
    if (!log.completed) log.clientGone = true;
  });
  await streamCompletion(res, log, {
    id,
    created,
    model,
    text,
    usage,
    includeUsage,
    delayMs: ctx.chunkDelayMs,
    cutAfter: fault?.kind === 'cut' ? fault.afterChunks : undefined,
  });
}

async function streamCompletion(
  res: ServerResponse,
  log: StreamRecord,
  s: {
    id: string;
    created: number;
    model: string;
    text: string;
    usage: Record<string, number>;
    includeUsage: boolean;
    delayMs: number;
    /** Destroy the connection after this many content chunks. */
    cutAfter?: number;
  },
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const base = {
    id: s.id,
    object: 'chat.completion.chunk',
    created: s.created,
    model: s.model,
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
  const send = (chunk: Record<string, unknown>): void => {
    res.write(`data: ${JSON.stringify({ ...base, ...chunk })}\n\n`);
  };
  const choice = (delta: Record<string, unknown>, finish: string | null) => ({
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(s.includeUsage ? { usage: null } : {}),
  });
  send(choice({ role: 'assistant', content: '', refusal: null }, null));
  let sent = 0;
  for (const piece of s.text.match(/\S+\s*/g) ?? []) {
    if (s.delayMs > 0) await sleep(s.delayMs);
    if (res.destroyed) return;
    if (s.cutAfter !== undefined && sent >= s.cutAfter) {
      // Let what was sent reach the client, then break the connection.
      await new Promise<void>((resolve) => res.write('', () => resolve()));
      await sleep(20);
      res.socket?.destroy();
      return;
    }
    send(choice({ content: piece }, null));
    sent += 1;
    log.chunks = sent;
  }
  send(choice({}, 'stop'));
  if (s.includeUsage) send({ choices: [], usage: s.usage });
  log.completed = true;
  res.end('data: [DONE]\n\n');
}

function sendFault(res: ServerResponse, status: number, retryAfter?: number): void {
  const headers: Record<string, string> = {};
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  if (status === 401) {
    sendError(res, 401, {
      message:
        'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    });
  } else if (status === 429) {
    sendError(
      res,
      429,
      {
        message:
          'Rate limit reached for requests in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.',
        type: 'requests',
        code: 'rate_limit_exceeded',
      },
      headers,
    );
  } else if (status >= 500) {
    sendError(
      res,
      status,
      {
        message:
          'The server had an error while processing your request. Sorry about that! (internal trace FAKE-UPSTREAM-DETAIL)',
        type: 'server_error',
      },
      headers,
    );
  } else {
    sendError(
      res,
      status,
      { message: `Fake error ${status}`, type: 'invalid_request_error' },
      headers,
    );
  }
}

function sendError(
  res: ServerResponse,
  status: number,
  e: { message: string; type: string; param?: string; code?: string },
  headers: Record<string, string> = {},
): void {
  reply(
    res,
    status,
    { error: { message: e.message, type: e.type, param: e.param ?? null, code: e.code ?? null } },
    headers,
  );
}

function reply(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, body, {
    'x-request-id': `req_${randomBytes(8).toString('hex')}`,
    ...headers,
  });
}

function keyIdOf(req: IncomingMessage, registry: KeyRegistry): string {
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
  const key =
    m?.[1] ?? headerValue(req.headers['x-goog-api-key']) ?? headerValue(req.headers['x-api-key']);
  if (key === undefined) return 'none';
  if (!registry.isValid(key)) return 'invalid';
  return registry.list().find((r) => r.key === key)?.id ?? 'invalid';
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function isMessage(m: unknown): m is { role: string; content: string } {
  if (!m || typeof m !== 'object') return false;
  const o = m as Record<string, unknown>;
  return typeof o.role === 'string' && typeof o.content === 'string';
}

function defaultAnswer(messages: readonly { role: string; content: string }[]): string {
  const last = [...messages].reverse().find((m) => m.role === 'user');
  return `Echo: ${last?.content ?? ''}`.trim();
}

function countTokens(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function drain(req: IncomingMessage): void {
  req.resume();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
