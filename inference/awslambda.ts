/**
 * Types of the `awslambda` global that Lambda's Node.js runtime (and the local
 * sandbox's runtime) provide for response streaming. Declared here because no
 * published type package covers it.
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

declare global {
  /** Provided by Lambda's Node.js runtime when the function is invoked in RESPONSE_STREAM mode. */
  var awslambda: AwsLambdaGlobal;
}
