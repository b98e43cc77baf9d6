/**
 * Environment of the sidecar client library: which port, directory and token to use.
 * Parsed once; the library's default client and the inference handler both use it.
 */
import { deepFreeze, type Env, EnvReader, LambdaEnv } from '../../shared/env.ts';
import {
  DEFAULT_HTTP_PORT,
  DEFAULT_SECRET_DIR,
  SidecarProtocolEnv,
} from '../../shared/sidecar-protocol.ts';
import type { SidecarClientOptions } from './client.ts';

/** The environment variables the client library reads, by name (the extension reads the same). */
export const SidecarClientEnv = {
  Dir: SidecarProtocolEnv.Dir,
  HttpPort: SidecarProtocolEnv.HttpPort,
  SessionToken: LambdaEnv.SessionToken,
} as const;

/** What the client library reads from the environment. */
export interface SidecarClientConfig {
  /** `SECRET_SIDECAR_DIR`, default `/tmp/secret-sidecar`. */
  readonly dir: string;
  /** `SECRET_SIDECAR_HTTP_PORT`, default 2773. */
  readonly port: number;
  /** `AWS_SESSION_TOKEN`: the token the extension expects in its header. */
  readonly token: string | undefined;
}

/**
 * Reads the client's variables through an existing {@link EnvReader}, so a
 * caller's config can report all problems at once.
 */
export function readSidecarClientConfig(r: EnvReader): SidecarClientConfig {
  return {
    dir: r.string(SidecarClientEnv.Dir, DEFAULT_SECRET_DIR, {
      pattern: /^\//,
      allowed: 'an absolute path',
    }),
    port: r.int(SidecarClientEnv.HttpPort, { default: DEFAULT_HTTP_PORT, min: 1, max: 65535 }),
    token: r.raw(SidecarClientEnv.SessionToken),
  };
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
