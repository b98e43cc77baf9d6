/**
 * The CDK app: `cdk synth` / `cdk deploy` (see cdk.json). Settings come from
 * context or environment (cdk/config.ts); the stack is environment-agnostic
 * so synth needs no AWS credentials and no network.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../shared/errors.ts';
import { type AppConfig, loadAppConfig } from './config.ts';
import { applyAwsSolutionsChecks } from './nag.ts';
import { SecretSidecarStack } from './secret-sidecar-stack.ts';

const app = new App();
applyAwsSolutionsChecks(app);

let config: Readonly<AppConfig> | undefined;
try {
  config = loadAppConfig((key) => app.node.tryGetContext(key), process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // A settings mistake is the user's to fix: say what and how, without a stack trace.
  process.stderr.write(`secret-sidecar: ${err.message}\nSee docs/deploy.md#parameters.\n`);
  process.exitCode = 1;
}

if (config !== undefined) {
  new SecretSidecarStack(app, config.stackName, {
    description: 'secret-sidecar: rotated AI provider key, sidecar layer and inference API',
    provider: config.provider,
    providerBaseUrl: config.providerBaseUrl,
    rotateAfter: config.rotateAfter,
    rotationCron: config.rotationCron,
    rotationWindow: config.rotationWindow,
    logRetention: config.logRetention,
    alarmEmail: config.alarmEmail,
    cognitoDomainPrefix: config.cognitoDomainPrefix,
    allowedModels: config.allowedModels,
    defaultModel: config.defaultModel,
  });
  app.synth();
}
