/**
 * A user's CDK app written against the installed construct package: a rotated key, a
 * Node function and a Python function wired to the sidecar, and an explicit layer.
 */
import {
  attachSecretSidecar,
  LayerFlavour,
  Provider,
  RotatedApiKey,
  SecretSidecarLayer,
} from '@secret-sidecar/cdk';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';

const app = new App({ outdir: process.argv[2] ?? 'cdk.out' });
const stack = new Stack(app, 'UserStack');
const alarmTopic = new sns.Topic(stack, 'Alarms');
const key = new RotatedApiKey(stack, 'OpenAIKey', { provider: Provider.OpenAI, alarmTopic });

const nodeFn = new lambda.Function(stack, 'NodeFn', {
  runtime: lambda.Runtime.NODEJS_22_X,
  architecture: lambda.Architecture.ARM_64,
  handler: 'index.handler',
  code: lambda.Code.fromInline('export const handler = async () => "ok";'),
});
attachSecretSidecar(nodeFn, { secrets: [{ alias: 'provider', secret: key.secret }] });

const pythonFn = new lambda.Function(stack, 'PythonFn', {
  runtime: lambda.Runtime.PYTHON_3_13,
  architecture: lambda.Architecture.X86_64,
  handler: 'index.handler',
  code: lambda.Code.fromInline('def handler(event, context):\n    return "ok"\n'),
});
attachSecretSidecar(pythonFn, { secrets: [{ alias: 'provider', secret: key.secret }] });

const layer = new SecretSidecarLayer(stack, 'ExplicitLayer', {
  flavour: LayerFlavour.Standalone,
  architecture: lambda.Architecture.ARM_64,
});
const armPythonFn = new lambda.Function(stack, 'ArmPythonFn', {
  runtime: lambda.Runtime.PYTHON_3_12,
  architecture: lambda.Architecture.ARM_64,
  handler: 'index.handler',
  code: lambda.Code.fromInline('def handler(event, context):\n    return "ok"\n'),
});
attachSecretSidecar(armPythonFn, { layer, secrets: [{ alias: 'provider', secret: key.secret }] });

app.synth();
