/**
 * secret-sidecar CDK constructs, for use in your own stacks.
 *
 * @example
 * import { RotatedApiKey, SecretSidecarLayer, SidecarFunction } from '@secret-sidecar/cdk';
 */
export { AlarmTopic, type AlarmTopicProps } from './alarm-topic.ts';
export { PACKAGE_ASSETS_DIR, PackagedAsset, packagedAssetPath } from './assets.ts';
export {
  acknowledgeDefaultRuntime,
  createFunctionLogGroup,
  createFunctionRole,
  DEFAULT_ARCHITECTURE,
  DEFAULT_LOG_RETENTION,
  DEFAULT_RUNTIME,
  type FunctionLogGroupOptions,
} from './function-defaults.ts';
export {
  DEFAULT_INFERENCE_ROUTES,
  INVOKE_SCOPE,
  INVOKE_SCOPE_NAME,
  InferenceApi,
  type InferenceApiProps,
  InferenceEnv,
  type InferenceRoute,
  PROVIDER_SECRET_ALIAS,
  RESOURCE_SERVER_ID,
} from './inference-api.ts';
export { Observability, type ObservabilityProps, ROTATION_AUDIT_MESSAGE } from './observability.ts';
export {
  PROVIDERS,
  Provider,
  ROTATION_FAILURE_EVENTS,
  RotatedApiKey,
  type RotatedApiKeyProps,
  RotationEnv,
} from './rotated-api-key.ts';
export {
  LAYER_COMPATIBLE_ARCHITECTURES,
  LAYER_COMPATIBLE_RUNTIMES,
  SecretSidecarLayer,
  type SecretSidecarLayerProps,
} from './secret-sidecar-layer.ts';
export {
  attachSecretSidecar,
  SidecarEnv,
  SidecarFunction,
  type SidecarFunctionProps,
  SidecarLogLevel,
  type SidecarOptions,
  type SidecarParameter,
  type SidecarSecret,
} from './sidecar-function.ts';
