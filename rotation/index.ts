/**
 * Lambda entry point of the Secrets Manager rotation function (bundled to dist/rotation/index.mjs).
 * Configuration is read once at init; a bad environment fails the init with every problem listed.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Metrics } from '../shared/metrics.ts';
import { createRotationLogger } from './audit.ts';
import { loadRotationConfig } from './config.ts';
import { createRotationHandler, type RotationHandler } from './handler.ts';

const config = loadRotationConfig(process.env);
const { logger, redactor } = createRotationLogger({ level: config.logLevel });

/** The Lambda handler. */
export const handler: RotationHandler = createRotationHandler({
  secretsManager: new SecretsManagerClient({}),
  kms: new KMSClient({}),
  config,
  logger,
  redactor,
  metrics: new Metrics({ dimensions: { FunctionName: config.functionName } }),
});
