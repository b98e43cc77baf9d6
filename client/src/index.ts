/**
 * Public entry of the secret-sidecar client library for Node Lambda functions.
 *
 * @example
 * import { getSecret, refresh } from 'secret-sidecar/inference/client-index.ts';
 * const secret = await getSecret('provider');          // memo → fresh file → HTTP
 * const { apiKey } = JSON.parse(secret.value);
 * // after the key was rejected:
 * const newer = await refresh('provider');            // refreshNow=true at the extension
 */

import { type GetSecretOptions, SidecarClient } from './client.ts';
import { clientOptionsFrom, loadSidecarClientConfig } from './config.ts';
import type { SecretValue } from './envelope.ts';

export { ErrorCode, SidecarError } from '../../shared/errors.ts';
export {
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
} from './config.ts';

let defaultClient: SidecarClient | undefined;

/**
 * The process-wide client, built on first use from `SECRET_SIDECAR_DIR`,
 * `SECRET_SIDECAR_HTTP_PORT` and `AWS_SESSION_TOKEN`.
 *
 * @throws {ConfigError} when one of those variables is invalid.
 */
export function defaultSidecarClient(): SidecarClient {
  if (defaultClient === undefined) {
    defaultClient = new SidecarClient(clientOptionsFrom(loadSidecarClientConfig(process.env)));
  }
  return defaultClient;
}

/**
 * Returns the current value of a secret through the process-wide client.
 * See {@link SidecarClient.getSecret}.
 */
export function getSecret(aliasOrId: string, options?: GetSecretOptions): Promise<SecretValue> {
  return defaultSidecarClient().getSecret(aliasOrId, options);
}

/**
 * Forces the extension to fetch the secret from AWS now and returns it.
 * See {@link SidecarClient.refresh}.
 */
export function refresh(aliasOrId: string): Promise<SecretValue> {
  return defaultSidecarClient().refresh(aliasOrId);
}
