/**
 * The streaming inference handler for Lambda response streaming (Function URL,
 * `InvokeMode: RESPONSE_STREAM`). Tokens are sent as server-sent events as they
 * arrive from the provider:
 *
 *   data: {"type":"delta","text":"Hel"}
 *   data: {"type":"done","model":"…","usage":{…},"latency":{…}}
 *   data: {"type":"error","error":{"code":"…","message":"…"}}   (failure after the start)
 *
 * Failures before the first byte (auth, validation, key lookup, provider refusal)
 * get a normal JSON error answer with its status code.
 */
import { once } from 'node:events';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { ErrorCode } from '../shared/errors.ts';
import { HttpError, toHttpError } from '../shared/http-error.ts';
import type { Usage } from './audit.ts';
import { usageOf } from './audit.ts';
import { authorize, type Caller } from './auth.ts';
import type { HttpResponseStreamFrom, ResponseStream } from './awslambda.ts';
import { Deadline } from './deadline.ts';
import type { PhaseTimings } from './gateway.ts';
import {
  createInferenceCore,
  errorResult,
  type InferenceCore,
  type InferenceDeps,
  latencyOf,
} from './handler.ts';
import { type HttpEventV2, type LambdaContextLike, requestIdOf } from './http-event.ts';
import { mapProviderError } from './provider-errors.ts';
import { type ChatRequest, parseChatRequest } from './request.ts';

/** Content type of the streamed answer. */
export const STREAM_CONTENT_TYPE = 'text/event-stream; charset=utf-8';

/** Options of {@link createStreamHandler} beyond the shared ports. */
export interface StreamPorts {
  /** `awslambda.HttpResponseStream.from` (Lambda's), or a test double. */
  readonly httpResponseStreamFrom: HttpResponseStreamFrom;
  /**
   * Accept callers authorized by the Function URL's `AWS_IAM` auth (the IAM policy
   * then plays the role of the scope). JWT claims, when present, are always checked.
   * @default true
   */
  readonly allowIam?: boolean;
}

/** Creates the streaming handler (wrap it with `awslambda.streamifyResponse`). */
export function createStreamHandler(
  deps: InferenceDeps,
  ports: StreamPorts,
  core: InferenceCore = createInferenceCore(deps),
): (
  event: HttpEventV2,
  responseStream: ResponseStream,
  context?: LambdaContextLike,
) => Promise<void> {
  const { config } = deps;
  return async (event, responseStream, context) => {
    const start = core.monotonic();
    const requestId = requestIdOf(event, context);
    const timings: PhaseTimings = { secretLookupMs: 0, providerMs: 0 };
    const deadline = Deadline.forInvocation(config.providerTimeoutMs, context, core.monotonic);
    // The caller going away aborts the provider request: nobody pays for tokens no one reads.
    const gone = new AbortController();
    const onClose = () => {
      if (!responseStream.writableFinished) gone.abort();
    };
    responseStream.once('close', onClose);
    const cleanup = {
      dispose: () => {
        deadline.dispose();
        responseStream.off('close', onClose);
      },
    };
    let caller: Caller | undefined;
    let request: ChatRequest | undefined;
    let opened: Awaited<ReturnType<typeof core.gateway.openStream>>;
    try {
      caller = authorize(event?.requestContext?.authorizer, {
        requiredScope: config.requiredScope,
        allowIam: ports.allowIam ?? true,
      });
      request = parseChatRequest(event?.body, event?.isBase64Encoded, config);
      opened = await core.gateway.openStream(request, { deadline, signal: gone.signal }, timings);
    } catch (err) {
      cleanup.dispose();
      const error = toHttpError(err);
      const result = errorResult(error, requestId);
      const out = ports.httpResponseStreamFrom(responseStream, {
        statusCode: result.statusCode,
        headers: result.headers,
      });
      await finish(out, result.body);
      core.auditor.record({
        requestId,
        status: error.status,
        stream: true,
        clientId: caller?.clientId,
        model: request?.model,
        latency: latencyOf(timings, core.monotonic() - start),
        error,
        prompt: request?.messages,
      });
      return;
    }

    const out = ports.httpResponseStreamFrom(responseStream, {
      statusCode: 200,
      headers: { 'content-type': STREAM_CONTENT_TYPE, 'cache-control': 'no-store' },
    });
    const streamStart = core.monotonic();
    let answer = '';
    let usage: Usage | undefined;
    let failure: HttpError | undefined;
    try {
      for await (const chunk of opened.value as AsyncIterable<ChatCompletionChunk>) {
        const text = chunk.choices[0]?.delta?.content;
        if (text) {
          answer += text;
          await send(out, { type: 'delta', text });
        }
        if (chunk.usage) usage = usageOf(chunk.usage);
      }
    } catch (err) {
      failure = gone.signal.aborted
        ? callerGone()
        : deadline.exhausted
          ? deadline.expiredError()
          : mapProviderError(err, Math.round(deadline.budgetMs));
    } finally {
      cleanup.dispose();
      timings.providerMs += core.monotonic() - streamStart;
    }
    // The SDK ends an aborted stream quietly: an abort is a failure even when nothing threw.
    if (failure === undefined && gone.signal.aborted) failure = callerGone();
    if (failure === undefined && deadline.signal.aborted) failure = deadline.expiredError();
    const latency = latencyOf(timings, core.monotonic() - start);
    const finalUsage = usage ?? usageOf(undefined);
    if (failure === undefined) {
      await send(out, { type: 'done', model: opened.model, usage: finalUsage, latency });
    } else {
      await send(out, { type: 'error', error: { code: failure.code, message: failure.message } });
    }
    await finish(out);
    core.auditor.record({
      requestId,
      status: failure === undefined ? 200 : failure.status,
      stream: true,
      clientId: caller.clientId,
      model: opened.model,
      usage: finalUsage,
      latency,
      keyVersionId: opened.binding.versionId,
      keyId: opened.binding.secret.keyId,
      refreshedKey: opened.refreshedKey,
      error: failure,
      prompt: request.messages,
      answer,
    });
  };
}

/** Writes one event; waits for `drain` under back-pressure, and gives up if the caller went away. */
async function send(out: ResponseStream, event: Record<string, unknown>): Promise<void> {
  if (out.destroyed || out.writableEnded) return;
  if (!out.write(`data: ${JSON.stringify(event)}\n\n`)) await settled(out, 'drain');
}

async function finish(out: ResponseStream, body?: string): Promise<void> {
  if (out.destroyed || out.writableEnded) return;
  const done = settled(out, 'finish');
  out.end(body);
  await done;
}

/** Resolves on `event`, or when the stream closes or fails first. */
async function settled(out: ResponseStream, event: 'drain' | 'finish'): Promise<void> {
  const stop = new AbortController();
  try {
    await Promise.race([
      once(out, event, { signal: stop.signal }),
      once(out, 'close', { signal: stop.signal }),
    ]);
  } catch {
    // The stream failed or was closed: nothing more can be written.
  } finally {
    stop.abort();
  }
}

/** The audit record of a stream the caller closed before it ended (nginx's 499). */
function callerGone(): HttpError {
  return new HttpError(499, ErrorCode.ClientClosed, 'the caller closed the connection', {
    logFields: { upstream: 'aborted: caller gone' },
  });
}
