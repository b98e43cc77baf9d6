/**
 * Where the CDK app finds the `make build` output it deploys.
 *
 * Functions and the layer are deployed from `dist/`, the exact bundles that
 * `scripts/build.ts` produces with the local esbuild and that the sandbox
 * tests run, so synth needs neither Docker nor a second bundling step.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, SidecarError } from '../shared/errors.ts';

/** The repository root (the folder holding `cdk/`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The default build output folder. */
export const DEFAULT_DIST_DIR = join(REPO_ROOT, 'dist');

/** Build output sub-folders, relative to the dist folder. */
export const DistAsset = {
  /** The layer tree: `extensions/secret-sidecar` launcher + `secret-sidecar/index.mjs`. */
  Layer: 'layer',
  /** The rotation function bundle (`index.mjs` exporting `handler`). */
  Rotation: 'rotation',
  /** The inference function bundle (`index.mjs` exporting `handler`, HTTP API payload v2). */
  Inference: 'inference',
  /** The streaming inference bundle (`index.mjs`, Lambda response streaming). */
  InferenceStream: 'inference-stream',
} as const;

/** One of {@link DistAsset}. */
export type DistAsset = (typeof DistAsset)[keyof typeof DistAsset];

/** The files each asset folder must contain, relative to it. */
const REQUIRED_FILES: Readonly<Record<DistAsset, readonly string[]>> = {
  layer: ['extensions/secret-sidecar', 'secret-sidecar/index.mjs'],
  rotation: ['index.mjs'],
  inference: ['index.mjs'],
  'inference-stream': ['index.mjs'],
};

/**
 * Returns the absolute folder of a build asset after checking that `make build`
 * produced every file in it.
 *
 * @throws SidecarError (ConfigInvalid) naming the missing file and how to build it.
 */
export function distAssetPath(asset: DistAsset, distDir: string = DEFAULT_DIST_DIR): string {
  const dir = resolve(distDir, asset);
  for (const file of REQUIRED_FILES[asset]) {
    const path = join(dir, file);
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new SidecarError(
        ErrorCode.ConfigInvalid,
        `build output ${path} is missing: run \`make build\` before synth`,
      );
    }
  }
  return dir;
}
