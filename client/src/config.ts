/**
 * Environment of the client library: which port, directory and token to use. The
 * values come from the shared wire contract, the same parser the extension uses, so
 * the two can never disagree (`SECRET_SIDECAR_HTTP_PORT`, else AWS's
 * `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`; `AWS_SESSION_TOKEN`, else
 * `AWS_CONTAINER_AUTHORIZATION_TOKEN`).
 */
import { deepFreeze, type Env, EnvReader } from '../../shared/env.ts';
import { readProtocolConfig, SidecarProtocolEnv } from '../../shared/sidecar-protocol.ts';
import type { SidecarClientOptions } from './client.ts';

/** The environment variables the client library reads, by name (the extension reads the same). */
export const SidecarClientEnv = SidecarProtocolEnv;

/** What the client library reads from the environment. */
export interface SidecarClientConfig {
  /** `SECRET_SIDECAR_DIR`, default `/tmp/secret-sidecar`. */
  readonly dir: string;
  /** `SECRET_SIDECAR_HTTP_PORT`, else `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`, else 2773. */
  readonly port: number;
  /** `AWS_SESSION_TOKEN`, else `AWS_CONTAINER_AUTHORIZATION_TOKEN`: the token the extension expects. */
  readonly token: string | undefined;
}

/**
 * Reads the client's variables through an existing {@link EnvReader}, so a
 * caller's config can report all problems at once.
 */
export function readSidecarClientConfig(r: EnvReader): SidecarClientConfig {
  const p = readProtocolConfig(r);
  return { dir: p.dir, port: p.port, token: p.token };
}

/**
 * Parses the client's variables from `env`.
 *
 * @throws {ConfigError} naming every bad variable and its allowed range.
 */
export function loadSidecarClientConfig(env: Env): Readonly<SidecarClientConfig> {
  const r = new EnvReader(env);
  const config = readSidecarClientConfig(r);
  r.done();
  return deepFreeze(config);
}

/** Client options for a parsed config. */
export function clientOptionsFrom(config: SidecarClientConfig): SidecarClientOptions {
  return { dir: config.dir, port: config.port, token: config.token };
}
