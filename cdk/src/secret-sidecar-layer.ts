/**
 * The secret-sidecar extension as a Lambda layer, in either flavour: `node` (runs on the
 * function's Node.js) or `standalone` (bundles Node.js for one architecture; any runtime).
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ErrorCode, SidecarError } from '../../shared/errors.ts';
import { EXTENSION_NAME } from '../../shared/sidecar-protocol.ts';
import { PackagedAsset, packagedAssetPath, standaloneLayerZip } from './assets.ts';
import { DEFAULT_ARCHITECTURE } from './function-defaults.ts';
import {
  flavourOfLayerName,
  LAYER_LICENSE,
  LayerFlavour,
  layerDescription,
  layerName,
  NODE_FLAVOUR_RUNTIMES,
  STANDALONE_FLAVOUR_RUNTIMES,
} from './layer-flavour.ts';

/** A secret-sidecar layer version whose flavour is known: built here or imported by ARN. */
export interface ISecretSidecarLayer extends lambda.ILayerVersion {
  /** Which flavour the layer is. */
  readonly flavour: LayerFlavour;
  /** The one architecture a standalone layer runs on; undefined for the `node` flavour (both). */
  readonly architecture?: lambda.Architecture;
}

/** Props of {@link SecretSidecarLayer}. */
export interface SecretSidecarLayerProps {
  /**
   * `node` for Node.js functions, `standalone` for every runtime.
   * @default LayerFlavour.Node
   */
  readonly flavour?: LayerFlavour;
  /**
   * The architecture of a standalone layer (its bundled Node.js is native code). Not
   * allowed for the `node` flavour, which runs on both.
   * @default Architecture.ARM_64 for the standalone flavour
   */
  readonly architecture?: lambda.Architecture;
  /**
   * The layer: a zip, or a folder holding the layer tree (`extensions/secret-sidecar`
   * executable and `secret-sidecar/`), as `make build` writes it.
   * @default the `node` flavour's zip this package carries; for the standalone flavour,
   * the zip of the `@secret-sidecar/layer-standalone-<arch>` package
   */
  readonly assetPath?: string;
  /** @default `secret-sidecar` (node), `secret-sidecar-standalone-<arch>` (standalone) */
  readonly layerVersionName?: string;
  /** @default a description naming the flavour and what it runs on */
  readonly description?: string;
  /**
   * Keep old layer versions when a new one replaces them, so functions pinned
   * to them keep working.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Options of {@link SecretSidecarLayer.fromVersionArn}. */
export interface SecretSidecarLayerImportOptions {
  /**
   * The flavour of the layer behind the ARN.
   * @default read from the layer name when it is one `make publish-layer` uses
   * (`secret-sidecar`, `secret-sidecar-standalone-x86_64`, `secret-sidecar-standalone-arm64`);
   * required otherwise
   */
  readonly flavour?: LayerFlavour;
  /** The architecture of a standalone layer. @default read from the layer name */
  readonly architecture?: lambda.Architecture;
}

/**
 * A `LayerVersion` of the secret-sidecar extension. Attach it with
 * {@link attachSecretSidecar}, or let that choose and create the right flavour.
 */
export class SecretSidecarLayer extends lambda.LayerVersion implements ISecretSidecarLayer {
  /**
   * A layer version published before (by `make publish-layer` or a release), instead of
   * building one, as aws-cdk-lib's `ParamsAndSecretsLayerVersion.fromVersionArn` does.
   *
   * @throws SidecarError (ConfigInvalid) when the flavour is neither given nor readable
   * from the ARN, or contradicts it.
   */
  static fromVersionArn(
    scope: Construct,
    id: string,
    layerVersionArn: string,
    options: SecretSidecarLayerImportOptions = {},
  ): ISecretSidecarLayer {
    const named = Token.isUnresolved(layerVersionArn)
      ? undefined
      : flavourOfLayerName(layerNameOfArn(layerVersionArn));
    const flavour = options.flavour ?? named?.flavour;
    if (flavour === undefined) {
      throw new SidecarError(
        ErrorCode.ConfigInvalid,
        `secret-sidecar: cannot tell the flavour of layer ${layerVersionArn}: pass ` +
          "{ flavour: 'node' } or { flavour: 'standalone', architecture }",
      );
    }
    if (named !== undefined && named.flavour !== flavour) {
      throw new SidecarError(
        ErrorCode.ConfigInvalid,
        `secret-sidecar: layer ${layerVersionArn} is the ${named.flavour} flavour by its name, not ${flavour}`,
      );
    }
    const architecture = options.architecture ?? named?.architecture;
    checkArchitecture(flavour, architecture, options.architecture !== undefined);
    if (
      named?.architecture !== undefined &&
      architecture !== undefined &&
      named.architecture.name !== architecture.name
    ) {
      throw new SidecarError(
        ErrorCode.ConfigInvalid,
        `secret-sidecar: layer ${layerVersionArn} is for ${named.architecture.name} by its name, not ${architecture.name}`,
      );
    }
    const imported = lambda.LayerVersion.fromLayerVersionArn(scope, id, layerVersionArn);
    return Object.defineProperties(imported, {
      flavour: { value: flavour, enumerable: true },
      architecture: {
        value:
          flavour === LayerFlavour.Standalone ? (architecture ?? DEFAULT_ARCHITECTURE) : undefined,
        enumerable: true,
      },
    }) as ISecretSidecarLayer;
  }

  /** Which flavour this layer is. */
  readonly flavour: LayerFlavour;
  /** The architecture of a standalone layer; undefined for the `node` flavour. */
  readonly architecture?: lambda.Architecture;

  constructor(scope: Construct, id: string, props: SecretSidecarLayerProps = {}) {
    const flavour = props.flavour ?? LayerFlavour.Node;
    checkArchitecture(flavour, props.architecture, props.architecture !== undefined);
    const standalone = flavour === LayerFlavour.Standalone;
    const architecture = standalone ? (props.architecture ?? DEFAULT_ARCHITECTURE) : undefined;
    const assetPath =
      props.assetPath ??
      (architecture === undefined
        ? packagedAssetPath(PackagedAsset.LayerNode)
        : standaloneLayerZip(architecture.name));
    checkLauncher(assetPath);
    super(scope, id, {
      code: lambda.Code.fromAsset(assetPath),
      layerVersionName: props.layerVersionName ?? layerName(flavour, architecture),
      description: props.description ?? layerDescription(architecture),
      // The standalone flavour declares its runtimes in the template only: aws-cdk-lib
      // refuses to attach a layer to a runtime missing from this list, and Lambda's list
      // is capped at 15 while the layer runs on every Amazon Linux runtime.
      compatibleRuntimes: standalone ? undefined : [...NODE_FLAVOUR_RUNTIMES],
      compatibleArchitectures:
        architecture === undefined
          ? [lambda.Architecture.X86_64, lambda.Architecture.ARM_64]
          : [architecture],
      license: LAYER_LICENSE,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    if (standalone) {
      (this.node.defaultChild as lambda.CfnLayerVersion).compatibleRuntimes =
        STANDALONE_FLAVOUR_RUNTIMES.map((r) => r.name);
    }
    this.flavour = flavour;
    this.architecture = architecture;
  }
}

/** Whether `layer` says which secret-sidecar flavour it is. */
export function isSecretSidecarLayer(layer: lambda.ILayerVersion): layer is ISecretSidecarLayer {
  const flavour = (layer as Partial<ISecretSidecarLayer>).flavour;
  return flavour === LayerFlavour.Node || flavour === LayerFlavour.Standalone;
}

/** The layer name in `arn:<partition>:lambda:<region>:<account>:layer:<name>:<version>`. */
export function layerNameOfArn(layerVersionArn: string): string {
  const parts = layerVersionArn.split(':');
  return parts.length === 8 && parts[0] === 'arn' && parts[5] === 'layer' ? (parts[6] ?? '') : '';
}

function checkArchitecture(
  flavour: LayerFlavour,
  architecture: lambda.Architecture | undefined,
  given: boolean,
): void {
  if (flavour === LayerFlavour.Node && given && architecture !== undefined) {
    throw new SidecarError(
      ErrorCode.ConfigInvalid,
      `secret-sidecar: architecture applies to the standalone flavour only; the node flavour runs on x86_64 and arm64 (got ${architecture.name})`,
    );
  }
  if (
    architecture !== undefined &&
    architecture.name !== lambda.Architecture.X86_64.name &&
    architecture.name !== lambda.Architecture.ARM_64.name
  ) {
    throw new SidecarError(
      ErrorCode.ConfigInvalid,
      `secret-sidecar: architecture must be x86_64 or arm64, got ${architecture.name}`,
    );
  }
}

function checkLauncher(assetPath: string): void {
  if (assetPath.endsWith('.zip')) return;
  const launcher = join(assetPath, 'extensions', EXTENSION_NAME);
  try {
    accessSync(launcher, constants.X_OK);
  } catch (cause) {
    throw new SidecarError(
      ErrorCode.ConfigInvalid,
      `layer launcher ${launcher} must exist and be executable (mode 0755): run \`make build\``,
      { cause },
    );
  }
}
