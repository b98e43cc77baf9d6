/** Public API of the local Lambda sandbox. */
export { SandboxError, SandboxErrorType } from './errors.ts';
export { MAX_EXTENSIONS } from './extension-registry.ts';
export { LambdaSandbox } from './sandbox.ts';
export {
  HTTP_INTEGRATION_CONTENT_TYPE,
  PreludeSplitter,
  RESPONSE_MODE_HEADER,
  STREAMING_MODE,
} from './streaming.ts';
export { RUNTIME_SIGTERM_SHARE_MS, ShutdownReason } from './teardown.ts';
export type * from './types.ts';
