/**
 * Which secret-sidecar layer a function gets: the one given, after checking its flavour can
 * run there, or one shared per stack of the flavour the runtime and architecture need.
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ErrorCode, SidecarError } from '../../shared/errors.ts';
import {
  flavourFor,
  flavourOfLayerName,
  hasNode,
  LayerFlavour,
  layerName,
} from './layer-flavour.ts';
import {
  type ISecretSidecarLayer,
  isSecretSidecarLayer,
  layerNameOfArn,
  SecretSidecarLayer,
} from './secret-sidecar-layer.ts';

/**
 * The layer to attach to `fn`.
 *
 * @param given - The layer the caller chose, if any.
 * @throws SidecarError (ConfigInvalid) for a container-image function, the `node` flavour
 * (or a layer of unknown flavour) on a runtime without Node.js, or a standalone layer of
 * the other architecture.
 */
export function layerForFunction(
  fn: lambda.Function,
  given: lambda.ILayerVersion | undefined,
): lambda.ILayerVersion {
  const runtime = fn.runtime;
  const architecture = fn.architecture;
  if (runtime.name === lambda.Runtime.FROM_IMAGE.name) {
    throw refused(
      fn,
      'is a container image, and images take no layers: COPY the layer into /opt in the ' +
        'Dockerfile instead (README, "Container images")',
    );
  }
  if (given === undefined) return sharedLayer(fn, flavourFor(runtime), architecture);

  const known = describeLayer(given);
  const standaloneHint =
    "attach the standalone flavour: SecretSidecarLayer with { flavour: 'standalone', " +
    `architecture: Architecture.${architecture.name === 'arm64' ? 'ARM_64' : 'X86_64'} }, ` +
    'or leave `layer` out and let attachSecretSidecar choose';
  if (known === undefined) {
    if (hasNode(runtime)) return given;
    throw refused(
      fn,
      `runs ${runtime.name}, which has no node, and the flavour of layer ${given.layerVersionArn} ` +
        "is unknown: import it with SecretSidecarLayer.fromVersionArn(scope, id, arn, { flavour: 'standalone', architecture }), or " +
        standaloneHint,
    );
  }
  if (known.flavour === LayerFlavour.Node && !hasNode(runtime)) {
    throw refused(
      fn,
      `runs ${runtime.name}, which has no node: the node flavour of the secret-sidecar layer ` +
        `cannot start there (every invoke would fail with Extension.LaunchError); ${standaloneHint}`,
    );
  }
  if (
    known.flavour === LayerFlavour.Standalone &&
    known.architecture !== undefined &&
    known.architecture.name !== architecture.name
  ) {
    throw refused(
      fn,
      `runs on ${architecture.name}, but the standalone layer is built for ${known.architecture.name}: ` +
        `use the ${layerName(LayerFlavour.Standalone, architecture)} layer`,
    );
  }
  return given;
}

function refused(fn: lambda.Function, why: string): SidecarError {
  return new SidecarError(
    ErrorCode.ConfigInvalid,
    `secret-sidecar: function ${fn.node.path} ${why}`,
  );
}

/** What a layer says about its flavour: its own fields, or our published name in its ARN. */
function describeLayer(
  layer: lambda.ILayerVersion,
): Pick<ISecretSidecarLayer, 'flavour' | 'architecture'> | undefined {
  if (isSecretSidecarLayer(layer)) return layer;
  if (Token.isUnresolved(layer.layerVersionArn)) return undefined;
  return flavourOfLayerName(layerNameOfArn(layer.layerVersionArn));
}

/** One layer per stack and flavour (and architecture, for the standalone flavour). */
function sharedLayer(
  fn: lambda.Function,
  flavour: LayerFlavour,
  architecture: lambda.Architecture,
): lambda.ILayerVersion {
  const stack = Stack.of(fn);
  const standalone = flavour === LayerFlavour.Standalone;
  const id = `SecretSidecarLayer-${layerName(flavour, standalone ? architecture : undefined)}`;
  const existing = stack.node.tryFindChild(id);
  if (existing !== undefined) return existing as SecretSidecarLayer;
  return new SecretSidecarLayer(stack, id, {
    flavour,
    architecture: standalone ? architecture : undefined,
  });
}
