/**
 * Lambda entry of the inference function (API Gateway HTTP API, payload v2).
 * Bundled to `dist/inference/index.mjs`; the function's handler is `index.handler`.
 */
import { createInferenceHandler } from './handler.ts';
import { createRuntimeDeps } from './runtime.ts';

/** The API Gateway handler. */
export const handler = createInferenceHandler(createRuntimeDeps(process.env));
