/**
 * secret-sidecar's client library for Node Lambda functions.
 *
 * Two APIs over one client:
 *  - Powertools Parameters' functions (`getSecret`, `getParameter`, `getParametersByName`,
 *    `clearCaches`, ...): change the import from `@aws-lambda-powertools/parameters/...`
 *    and nothing else;
 *  - {@link SidecarClient}, which also says which version was served and from where,
 *    and can force a refresh after a rotation.
 *
 * @example
 * import { getSecret } from '@secret-sidecar/client';
 * const { apiKey } = await getSecret<{ apiKey: string }>('provider', { transform: 'json' });
 */
export { ErrorCode, SidecarError } from '../../shared/errors.ts';
export {
  type GetParameterOptions,
  type GetSecretOptions,
  type SecretOrigin,
  type SecretValue,
  SidecarClient,
  type SidecarClientOptions,
} from './client.ts';
export {
  clientOptionsFrom,
  loadSidecarClientConfig,
  readSidecarClientConfig,
  type SidecarClientConfig,
  SidecarClientEnv,
} from './config.ts';
export {
  type ClientSettings,
  DEFAULT_MAX_AGE_SECONDS,
  defaultSidecarClient,
  PowertoolsEnv,
} from './default-client.ts';
export { GetParameterError, TransformParameterError } from './errors.ts';
export {
  clearCaches,
  getParameter,
  getParameters,
  getParametersByName,
  getSecret,
  getSecrets,
  type SecretsGetByNameOptions,
  type SecretsGetOptions,
  type SecretsGetOutput,
  type SSMGetMultipleOptions,
  type SSMGetOptions,
  type SSMGetOutput,
  type SSMGetParametersByNameOptions,
  type SSMGetParametersByNameOutput,
} from './parameters.ts';
export { type JSONValue, Transform, type TransformOption } from './transform.ts';

import { defaultSidecarClient } from './default-client.ts';
import type { SecretValue } from './envelope.ts';

/**
 * Forces the extension to fetch the secret from AWS now and returns it, with its
 * version. See {@link SidecarClient.refresh}.
 */
export function refresh(aliasOrId: string): Promise<SecretValue> {
  return defaultSidecarClient().refresh(aliasOrId);
}
