/**
 * Wires the inference handlers' ports from the environment, once per process.
 * Only the entry points (index.ts, stream.ts) call this, with `process.env`.
 */

import { clientOptionsFrom, SidecarClient } from '@secret-sidecar/client';
import type { Env } from '../shared/env.ts';
import { ConfigError } from '../shared/errors.ts';
import { Logger } from '../shared/logger.ts';
import { Metrics } from '../shared/metrics.ts';
import { globalRedactor } from '../shared/redact.ts';
import { loadInferenceConfig } from './config.ts';
import type { InferenceDeps } from './handler.ts';

/** Service name on every log line of the inference functions. */
export const SERVICE = 'secret-sidecar';

/**
 * Parses the environment and builds the real ports. A bad configuration is logged
 * as one JSON line naming every variable, then thrown so the Lambda init fails.
 */
export function createRuntimeDeps(env: Env): InferenceDeps {
  try {
    const config = loadInferenceConfig(env);
    const logger = new Logger({ service: SERVICE, component: 'inference', level: config.logLevel });
    const metrics = new Metrics({ dimensions: { FunctionName: config.functionName } });
    // The provider client registers the secret's `apiKey` with the redactor. Registering every
    // string field of the secret (the client's default) would also mask the model name and
    // key id that the audit line must show.
    const secrets = new SidecarClient({ ...clientOptionsFrom(config.sidecar), redactor: false });
    return { config, secrets, logger, metrics, redactor: globalRedactor };
  } catch (err) {
    if (err instanceof ConfigError) {
      new Logger({ service: SERVICE, component: 'inference' }).error('invalid configuration', {
        errorCode: err.code,
        issues: err.issues,
      });
    }
    throw err;
  }
}
