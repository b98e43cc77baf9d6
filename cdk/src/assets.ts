/**
 * Where the constructs find the code they deploy: the layer zip and the
 * function bundles this package carries in its own `assets/` folder.
 *
 * They are the exact bundles `make build` produces with the local esbuild and
 * that the test suites run, so synth needs neither Docker nor a second bundling
 * step. Paths resolve from this module's own location, so they work from the
 * published package (`dist/`) and from the sources (`src/`) alike.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, SidecarError } from '../../shared/errors.ts';

/** This package's `assets/` folder (a sibling of `src/` and `dist/`). */
export const PACKAGE_ASSETS_DIR = fileURLToPath(new URL('../assets/', import.meta.url));

/** The assets this package carries, relative to {@link PACKAGE_ASSETS_DIR}. */
export const PackagedAsset = {
  /** The `node` flavour of the layer: launcher + extension bundle, runs on the function's Node. */
  LayerNode: 'layer-node.zip',
  /** The rotation function bundle (`index.mjs` exporting `handler`). */
  Rotation: 'rotation',
  /** The inference function bundle (`index.mjs` exporting `handler`, HTTP API payload v2). */
  Inference: 'inference',
  /** The streaming inference bundle (`index.mjs`, Lambda response streaming). */
  InferenceStream: 'inference-stream',
} as const;

/** One of {@link PackagedAsset}. */
export type PackagedAsset = (typeof PackagedAsset)[keyof typeof PackagedAsset];

/** The file each asset must be or contain. */
const REQUIRED_FILE: Readonly<Record<PackagedAsset, string>> = {
  'layer-node.zip': '',
  rotation: 'index.mjs',
  inference: 'index.mjs',
  'inference-stream': 'index.mjs',
};

/**
 * The absolute path of a packaged asset, after checking it is there.
 *
 * @param assetsDir - Folder to look in. @default {@link PACKAGE_ASSETS_DIR}
 * @throws SidecarError (ConfigInvalid) naming the missing file and how to build it.
 */
export function packagedAssetPath(
  asset: PackagedAsset,
  assetsDir: string = PACKAGE_ASSETS_DIR,
): string {
  const path = join(assetsDir, asset);
  const required = join(path, REQUIRED_FILE[asset]);
  if (!existsSync(required) || !statSync(required).isFile()) {
    throw new SidecarError(
      ErrorCode.ConfigInvalid,
      `${required} is missing: this @secret-sidecar/cdk package was installed without its build ` +
        'output (in the source repository, run `make build` first)',
    );
  }
  return path;
}

/** The npm package that carries the standalone flavour's zip for `architecture`. */
export function standaloneLayerPackage(architecture: string): string {
  return `@secret-sidecar/layer-standalone-${architecture}`;
}

/**
 * The standalone flavour's zip for `architecture` (`x86_64` or `arm64`). At about 40 MB
 * each, they ship in their own packages, `@secret-sidecar/layer-standalone-x86_64` and
 * `-arm64` (optional peer dependencies of this one), so a stack installs only what it uses.
 *
 * @param resolveFrom - Module URL or path to resolve the package from. @default this module
 * @throws SidecarError (ConfigInvalid) naming the package to install, or the missing file.
 */
export function standaloneLayerZip(
  architecture: string,
  resolveFrom: string = import.meta.url,
): string {
  const pkg = standaloneLayerPackage(architecture);
  let manifest: string;
  try {
    manifest = createRequire(resolveFrom).resolve(`${pkg}/package.json`);
  } catch (cause) {
    throw new SidecarError(
      ErrorCode.ConfigInvalid,
      `the standalone ${architecture} layer comes in the package ${pkg}: ` +
        `\`npm install --save-dev ${pkg}\` next to @secret-sidecar/cdk (same version), or pass assetPath`,
      { cause },
    );
  }
  const zip = join(dirname(manifest), 'layer.zip');
  if (!existsSync(zip) || !statSync(zip).isFile()) {
    throw new SidecarError(
      ErrorCode.ConfigInvalid,
      `${zip} is missing: ${pkg} was installed without its layer (in the source repository, run \`make build\` first)`,
    );
  }
  return zip;
}
