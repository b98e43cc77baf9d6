/**
 * secret-sidecar CDK constructs, for use in your own stacks.
 *
 * @example
 * import { attachSecretSidecar, RotatedApiKey, SecretSidecarLayer } from '@secret-sidecar/cdk';
 */
export { AlarmTopic, type AlarmTopicProps } from './alarm-topic.ts';
export {
  PACKAGE_ASSETS_DIR,
  PackagedAsset,
  packagedAssetPath,
  standaloneLayerPackage,
  standaloneLayerZip,
} from './assets.ts';
export {
  attachSecretSidecar,
  SidecarEnv,
  SidecarLogLevel,
  type SidecarOptions,
  type SidecarParameter,
  type SidecarSecret,
} from './attach-secret-sidecar.ts';
export { AWS_EXTENSION_PORT_VARIABLE } from './aws-extension-conflicts.ts';
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
export {
  flavourFor,
  LayerFlavour,
  layerName,
  NODE_FLAVOUR_RUNTIMES,
  STANDALONE_FLAVOUR_RUNTIMES,
} from './layer-flavour.ts';
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
  type ISecretSidecarLayer,
  isSecretSidecarLayer,
  SecretSidecarLayer,
  type SecretSidecarLayerImportOptions,
  type SecretSidecarLayerProps,
} from './secret-sidecar-layer.ts';
export { SidecarFunction, type SidecarFunctionProps } from './sidecar-function.ts';
