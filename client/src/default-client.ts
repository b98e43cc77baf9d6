/**
 * The process-wide client and the Powertools-compatible settings, both read from
 * the environment once, on first use.
 */
import { deepFreeze, EnvReader } from '../../shared/env.ts';
import { SidecarClient } from './client.ts';
import { clientOptionsFrom, readSidecarClientConfig } from './config.ts';

/** Powertools Parameters' variables that the functional API honours. */
export const PowertoolsEnv = {
  MaxAge: 'POWERTOOLS_PARAMETERS_MAX_AGE',
  SsmDecrypt: 'POWERTOOLS_PARAMETERS_SSM_DECRYPT',
} as const;

/** Powertools' default `maxAge`, in seconds. */
export const DEFAULT_MAX_AGE_SECONDS = 5;

/** Defaults of the functional API. */
export interface ClientSettings {
  /** `POWERTOOLS_PARAMETERS_MAX_AGE`, else 5. */
  readonly maxAgeSeconds: number;
  /** `POWERTOOLS_PARAMETERS_SSM_DECRYPT`, else false. */
  readonly ssmDecrypt: boolean;
}

let state: { client: SidecarClient; settings: ClientSettings } | undefined;

function init(): { client: SidecarClient; settings: ClientSettings } {
  if (state === undefined) {
    const r = new EnvReader(process.env);
    const config = readSidecarClientConfig(r);
    const settings: ClientSettings = {
      maxAgeSeconds: r.int(PowertoolsEnv.MaxAge, {
        default: DEFAULT_MAX_AGE_SECONDS,
        min: 0,
        max: 86_400,
      }),
      ssmDecrypt: r.bool(PowertoolsEnv.SsmDecrypt, false),
    };
    r.done();
    state = {
      client: new SidecarClient(clientOptionsFrom(config)),
      settings: deepFreeze(settings),
    };
  }
  return state;
}

/**
 * The process-wide client, built on first use from `SECRET_SIDECAR_DIR`, the port
 * (`SECRET_SIDECAR_HTTP_PORT` or `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`) and the token
 * (`AWS_SESSION_TOKEN` or `AWS_CONTAINER_AUTHORIZATION_TOKEN`).
 *
 * @throws {ConfigError} when one of those variables is invalid.
 */
export function defaultSidecarClient(): SidecarClient {
  return init().client;
}

/** The functional API's defaults. */
export function defaultClientSettings(): ClientSettings {
  return init().settings;
}
