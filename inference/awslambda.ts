/**
 * Types of the `awslambda` global that Lambda's Node.js runtime (and the local
 * sandbox's runtime) provide for response streaming. The global is read through
 * {@link lambdaGlobal} rather than declared, so these types never clash with the
 * `awslambda` namespace that `@types/aws-lambda` declares when something includes it.
 */
import type { Writable } from 'node:stream';

/** Status line and headers sent before a streamed body (Function URL / RESPONSE_STREAM). */
export interface HttpResponseMetadata {
  readonly statusCode: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly cookies?: readonly string[];
}

/** The writable stream Lambda hands to a streaming handler. */
export type ResponseStream = Writable & { setContentType?(contentType: string): void };

/** Wraps a response stream so the HTTP metadata is written first. */
export type HttpResponseStreamFrom = (
  stream: ResponseStream,
  metadata: HttpResponseMetadata,
) => ResponseStream;

/** A handler in Lambda's streaming shape. */
export type StreamingHandler<E, C> = (
  event: E,
  responseStream: ResponseStream,
  context: C,
) => Promise<void>;

/** The `awslambda` global. */
export interface AwsLambdaGlobal {
  streamifyResponse<E, C>(handler: StreamingHandler<E, C>): StreamingHandler<E, C>;
  readonly HttpResponseStream: { from: HttpResponseStreamFrom };
}

/** Lambda's `awslambda` global; throws outside a runtime that provides it. */
export function lambdaGlobal(): AwsLambdaGlobal {
  const g = (globalThis as unknown as { awslambda?: AwsLambdaGlobal }).awslambda;
  if (!g) {
    throw new Error(
      'the awslambda global is missing: run this handler in a Lambda Node.js runtime',
    );
  }
  return g;
}
