/**
 * A synth-time check that a function with secret-sidecar does not also run AWS's
 * Parameters and Secrets extension on the same port, or point code at another port with
 * AWS's variable. Two extensions cannot both bind 127.0.0.1:2773; the one that loses fails
 * init, and every invoke with it.
 */
import { Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { DEFAULT_HTTP_PORT } from '../../shared/sidecar-protocol.ts';

/** The variable AWS's extension reads its port from (AWS docs, "Parameters and Secrets Lambda Extension"). */
export const AWS_EXTENSION_PORT_VARIABLE = 'PARAMETERS_SECRETS_EXTENSION_HTTP_PORT';

/**
 * AWS's layer, by its published name in a literal ARN, or by the region map aws-cdk-lib's
 * `ParamsAndSecretsLayerVersion` renders for region-agnostic stacks.
 */
const AWS_LAYER = /AWS-Parameters-and-Secrets-Lambda-Extension|Paramsandsecretslayer/i;

/** The child aws-cdk-lib adds for the `paramsAndSecrets` function prop. */
const AWS_LAYER_CHILD_ID = 'ParamsAndSecretsLayer';

/**
 * The conflicts on `fn` (empty when there are none), for `node.addValidation`.
 *
 * @param port - The port secret-sidecar serves on for `fn`.
 */
export function awsExtensionConflicts(fn: lambda.Function, port: number): string[] {
  const stack = Stack.of(fn);
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  const layers = JSON.stringify(stack.resolve(cfn.layers) ?? []);
  const variables = (stack.resolve(cfn.environment) as { variables?: Record<string, unknown> })
    ?.variables;
  const awsLayer = AWS_LAYER.test(layers) || fn.node.tryFindChild(AWS_LAYER_CHILD_ID) !== undefined;
  const declared = variables?.[AWS_EXTENSION_PORT_VARIABLE];
  const awsPort = typeof declared === 'string' ? Number(declared) : DEFAULT_HTTP_PORT;

  if (awsLayer && awsPort === port) {
    return [
      `secret-sidecar: ${fn.node.path} also carries AWS's Parameters and Secrets extension, on ` +
        `port ${port} where secret-sidecar serves: two extensions cannot bind 127.0.0.1:${port}. ` +
        "Remove AWS's layer (and the paramsAndSecrets prop): secret-sidecar answers the same " +
        'requests on the same port. Or keep both on different ports (httpPort).',
    ];
  }
  if (!awsLayer && typeof declared === 'string' && awsPort !== port) {
    return [
      `secret-sidecar: ${fn.node.path} sets ${AWS_EXTENSION_PORT_VARIABLE}=${declared}, but ` +
        `secret-sidecar serves on port ${port}: code that follows AWS's variable would miss it. ` +
        `Set httpPort: ${declared}, or remove the variable.`,
    ];
  }
  return [];
}
