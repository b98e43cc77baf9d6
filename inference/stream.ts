/**
 * Lambda entry of the streaming inference function (Function URL with
 * `InvokeMode: RESPONSE_STREAM`). Bundled to `dist/inference-stream/index.mjs`.
 */
import { lambdaGlobal } from './awslambda.ts';
import { createRuntimeDeps } from './runtime.ts';
import { createStreamHandler } from './stream-handler.ts';

const streaming = createStreamHandler(createRuntimeDeps(process.env), {
  httpResponseStreamFrom: (stream, metadata) =>
    lambdaGlobal().HttpResponseStream.from(stream, metadata),
});

/** The streaming handler, wrapped by Lambda's `awslambda.streamifyResponse`. */
export const handler = lambdaGlobal().streamifyResponse(streaming);
