/**
 * The inference handler for API Gateway HTTP API events (payload v2):
 * authorize → validate → key lookup → provider call → `{answer, model, usage, latency}`.
 */
import type { ErrorCode } from '../shared/errors.ts';
import { badRequest, type HttpError, toHttpError } from '../shared/http-error.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { Redactor } from '../shared/redact.ts';
import { Auditor, type Latency, round, type Usage, usageOf } from './audit.ts';
import { authorize, type Caller } from './auth.ts';
import type { InferenceConfig } from './config.ts';
import { Deadline } from './deadline.ts';
import { InferenceGateway, type PhaseTimings, type SecretSource } from './gateway.ts';
import { type HttpEventV2, type LambdaContextLike, requestIdOf } from './http-event.ts';
import { type OpenAIFactory, ProviderClients } from './provider-clients.ts';
import { type ChatRequest, parseChatRequest } from './request.ts';

/** The success body. */
export interface InferenceResponse {
  readonly answer: string;
  readonly model: string;
  readonly usage: Usage;
  readonly latency: Latency;
}

/** What API Gateway expects back (payload v2, structured). */
export interface HttpResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Ports and settings of the inference handlers. */
export interface InferenceDeps {
  readonly config: InferenceConfig;
  /** The sidecar client (or any {@link SecretSource}). */
  readonly secrets: SecretSource;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Builds OpenAI SDK clients. @default `new OpenAI(options)` */
  readonly openaiFactory?: OpenAIFactory;
  /** fetch handed to the SDK. @default the global fetch */
  readonly fetch?: typeof fetch;
  /** Monotonic ms clock for the latency fields. @default performance.now */
  readonly monotonic?: () => number;
  /** Registry of secret values to mask in logs. */
  readonly redactor?: Redactor;
}

/** The pieces both handlers share, built once per process. */
export interface InferenceCore {
  readonly gateway: InferenceGateway;
  readonly clients: ProviderClients;
  readonly auditor: Auditor;
  readonly monotonic: () => number;
}

/** Builds the shared pieces from the ports. */
export function createInferenceCore(deps: InferenceDeps): InferenceCore {
  const monotonic = deps.monotonic ?? (() => performance.now());
  const clients = new ProviderClients({
    factory: deps.openaiFactory,
    baseURLOverride: deps.config.baseURL,
    timeoutMs: deps.config.providerTimeoutMs,
    fetch: deps.fetch,
    redactor: deps.redactor,
  });
  const gateway = new InferenceGateway({
    config: deps.config,
    secrets: deps.secrets,
    clients,
    metrics: deps.metrics,
    monotonic,
  });
  const auditor = new Auditor(deps.logger.child('audit'), deps.metrics, deps.config.logContent);
  return { gateway, clients, auditor, monotonic };
}

/**
 * Creates the API Gateway handler.
 *
 * @example
 * export const handler = createInferenceHandler({ config, secrets: new SidecarClient(...), logger, metrics });
 */
export function createInferenceHandler(
  deps: InferenceDeps,
  core: InferenceCore = createInferenceCore(deps),
): (event: HttpEventV2, context?: LambdaContextLike) => Promise<HttpResult> {
  const { config } = deps;
  return async (event, context) => {
    const start = core.monotonic();
    const requestId = requestIdOf(event, context);
    const timings: PhaseTimings = { secretLookupMs: 0, providerMs: 0 };
    let caller: Caller | undefined;
    let request: ChatRequest | undefined;
    let model: string | undefined;
    let keyVersionId: string | undefined;
    let keyId: string | undefined;
    const deadline = Deadline.forInvocation(config.providerTimeoutMs, context, core.monotonic);
    try {
      caller = authorize(event?.requestContext?.authorizer, {
        requiredScope: config.requiredScope,
      });
      request = parseChatRequest(event?.body, event?.isBase64Encoded, config);
      if (request.stream)
        throw badRequest('"stream": true needs the streaming endpoint (Function URL)');
      const result = await core.gateway.complete(request, { deadline }, timings);
      model = result.model;
      keyVersionId = result.binding.versionId;
      keyId = result.binding.secret.keyId;
      const completion = result.value;
      const answer = completion.choices[0]?.message?.content ?? '';
      const usage = usageOf(completion.usage);
      const latency = latencyOf(timings, core.monotonic() - start);
      const body: InferenceResponse = {
        answer,
        model: completion.model || result.model,
        usage,
        latency,
      };
      core.auditor.record({
        requestId,
        status: 200,
        stream: false,
        clientId: caller.clientId,
        model: body.model,
        usage,
        latency,
        keyVersionId,
        keyId,
        refreshedKey: result.refreshedKey,
        prompt: request.messages,
        answer,
      });
      return json(200, body);
    } catch (err) {
      const error = toHttpError(err);
      core.auditor.record({
        requestId,
        status: error.status,
        stream: false,
        clientId: caller?.clientId,
        model: model ?? request?.model,
        latency: latencyOf(timings, core.monotonic() - start),
        keyVersionId,
        keyId,
        error,
        prompt: request?.messages,
      });
      return errorResult(error, requestId);
    } finally {
      deadline.dispose();
    }
  };
}

/** Rounds the phase timings and adds the total. */
export function latencyOf(t: PhaseTimings, totalMs: number): Latency {
  return {
    secretLookupMs: round(t.secretLookupMs),
    providerMs: round(t.providerMs),
    totalMs: round(totalMs),
  };
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
  readonly requestId?: string;
}

/** The error answer: `{error:{code,message}, requestId}` plus Retry-After when known. */
export function errorResult(error: HttpError, requestId: string): HttpResult {
  const body: ErrorBody = { error: { code: error.code, message: error.message }, requestId };
  const result = json(error.status, body);
  if (error.retryAfterSeconds !== undefined) {
    result.headers['retry-after'] = String(error.retryAfterSeconds);
  }
  return result;
}

function json(statusCode: number, body: unknown): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}
