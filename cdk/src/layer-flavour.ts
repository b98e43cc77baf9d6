/**
 * The two flavours of the secret-sidecar layer, which one a function needs, and the names
 * they are published under. One place, shared by the layer construct, the attach logic and
 * `make publish-layer`.
 */
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { EXTENSION_NAME } from '../../shared/sidecar-protocol.ts';

/** The layer's flavours. */
export const LayerFlavour = {
  /** Small; runs on the function runtime's own `node` (Node.js functions only). */
  Node: 'node',
  /** Bundles a pinned official Node.js for one architecture; works on every runtime. */
  Standalone: 'standalone',
} as const;

/** One of {@link LayerFlavour}. */
export type LayerFlavour = (typeof LayerFlavour)[keyof typeof LayerFlavour];

/** Node.js runtimes the `node` flavour declares (the launcher needs Node ≥ 20.18). */
export const NODE_FLAVOUR_RUNTIMES: readonly lambda.Runtime[] = [
  lambda.Runtime.NODEJS_22_X,
  lambda.Runtime.NODEJS_24_X,
];

/**
 * Runtimes the standalone flavour declares. Lambda takes at most 15; the list is metadata
 * for the console and `ListLayers`, and the layer works on any Amazon Linux runtime, so a
 * runtime missing here is not refused.
 */
export const STANDALONE_FLAVOUR_RUNTIMES: readonly lambda.Runtime[] = [
  lambda.Runtime.PYTHON_3_11,
  lambda.Runtime.PYTHON_3_12,
  lambda.Runtime.PYTHON_3_13,
  lambda.Runtime.PYTHON_3_14,
  lambda.Runtime.NODEJS_22_X,
  lambda.Runtime.NODEJS_24_X,
  lambda.Runtime.JAVA_17,
  lambda.Runtime.JAVA_21,
  lambda.Runtime.JAVA_25,
  lambda.Runtime.DOTNET_8,
  lambda.Runtime.DOTNET_10,
  lambda.Runtime.RUBY_3_3,
  lambda.Runtime.RUBY_3_4,
  lambda.Runtime.PROVIDED_AL2023,
  lambda.Runtime.PROVIDED_AL2,
];

/** Whether functions on `runtime` have a `node` the `node` flavour can run on. */
export function hasNode(runtime: lambda.Runtime): boolean {
  return runtime.family === lambda.RuntimeFamily.NODEJS;
}

/** The flavour a function on `runtime` needs: `node` for Node.js, `standalone` otherwise. */
export function flavourFor(runtime: lambda.Runtime): LayerFlavour {
  return hasNode(runtime) ? LayerFlavour.Node : LayerFlavour.Standalone;
}

/**
 * The layer name a flavour is published under (`make publish-layer`, `SecretSidecarLayer`):
 * `secret-sidecar`, `secret-sidecar-standalone-x86_64`, `secret-sidecar-standalone-arm64`.
 */
export function layerName(flavour: LayerFlavour, architecture?: lambda.Architecture): string {
  if (flavour === LayerFlavour.Node) return EXTENSION_NAME;
  return `${EXTENSION_NAME}-standalone-${(architecture ?? lambda.Architecture.ARM_64).name}`;
}

/**
 * The description a flavour is published with (`make publish-layer`, `SecretSidecarLayer`):
 * the node flavour when `architecture` is undefined, else the standalone one for it.
 */
export function layerDescription(architecture?: lambda.Architecture): string {
  return architecture === undefined
    ? "secret-sidecar Lambda extension (node flavour: runs on the function's Node.js): cached Secrets Manager and SSM reads on localhost"
    : `secret-sidecar Lambda extension (standalone flavour, ${architecture.name}: bundles Node.js, any runtime): cached Secrets Manager and SSM reads on localhost`;
}

/** The licence every flavour is published under (SPDX). */
export const LAYER_LICENSE = 'Apache-2.0';

/** What a layer name says about the flavour, or undefined when it is not one of ours. */
export function flavourOfLayerName(
  name: string,
): { flavour: LayerFlavour; architecture?: lambda.Architecture } | undefined {
  if (name === EXTENSION_NAME) return { flavour: LayerFlavour.Node };
  for (const architecture of [lambda.Architecture.X86_64, lambda.Architecture.ARM_64]) {
    if (name === layerName(LayerFlavour.Standalone, architecture)) {
      return { flavour: LayerFlavour.Standalone, architecture };
    }
  }
  return undefined;
}
