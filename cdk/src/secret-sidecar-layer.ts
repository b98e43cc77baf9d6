/** The secret-sidecar extension as a Lambda layer, for x86_64 and arm64. */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ErrorCode, SidecarError } from '../../shared/errors.ts';
import { EXTENSION_NAME } from '../../shared/sidecar-protocol.ts';
import { PackagedAsset, packagedAssetPath } from './assets.ts';

/** Props of {@link SecretSidecarLayer}. */
export interface SecretSidecarLayerProps {
  /**
   * The layer: a zip, or a folder holding the layer tree (`extensions/secret-sidecar`
   * executable and `secret-sidecar/index.mjs`), as `make build` writes it.
   * @default the layer zip this package carries
   */
  readonly assetPath?: string;
  /** @default 'secret-sidecar' */
  readonly layerVersionName?: string;
  /** @default 'secret-sidecar Lambda extension: cached Secrets Manager / SSM reads on localhost' */
  readonly description?: string;
  /**
   * Keep old layer versions when a new one replaces them, so functions pinned
   * to them keep working.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Runtimes the layer supports: the extension runs on the function's Node. */
export const LAYER_COMPATIBLE_RUNTIMES = [
  lambda.Runtime.NODEJS_22_X,
  lambda.Runtime.NODEJS_24_X,
] as const;

/** Architectures the layer supports: the extension is plain JavaScript. */
export const LAYER_COMPATIBLE_ARCHITECTURES = [
  lambda.Architecture.X86_64,
  lambda.Architecture.ARM_64,
] as const;

/**
 * A `LayerVersion` of the secret-sidecar extension. Attach it with
 * {@link attachSecretSidecar} or use {@link SidecarFunction}.
 */
export class SecretSidecarLayer extends lambda.LayerVersion {
  constructor(scope: Construct, id: string, props: SecretSidecarLayerProps = {}) {
    const assetPath = props.assetPath ?? packagedAssetPath(PackagedAsset.LayerNode);
    if (!assetPath.endsWith('.zip')) {
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
    super(scope, id, {
      code: lambda.Code.fromAsset(assetPath),
      layerVersionName: props.layerVersionName ?? EXTENSION_NAME,
      description:
        props.description ??
        'secret-sidecar Lambda extension: cached Secrets Manager / SSM reads on localhost',
      compatibleRuntimes: [...LAYER_COMPATIBLE_RUNTIMES],
      compatibleArchitectures: [...LAYER_COMPATIBLE_ARCHITECTURES],
      license: 'Apache-2.0',
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
