/**
 * A private copy of this run's built layer, laid out as Lambda mounts it under /opt,
 * for tests that move, symlink or run the launcher from elsewhere.
 */
import { chmod, copyFile, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { built } from '../build.ts';

/** A copy of the layer in a new temp directory. */
export interface LayerCopy {
  /** The "/opt" root. */
  readonly optDir: string;
  /** `<opt>/extensions`, the sandbox's extensionsDir. */
  readonly extensionsDir: string;
  /** `<opt>/extensions/secret-sidecar`. */
  readonly launcher: string;
  remove(): Promise<void>;
}

/** Copies the layer built for this run to a new temp directory. */
export async function copyLayer(): Promise<LayerCopy> {
  const { launcher: builtLauncher, extensionBundle } = built();
  const optDir = await mkdtemp(join(tmpdir(), 'sidecar-opt-'));
  const extensionsDir = join(optDir, 'extensions');
  await mkdir(extensionsDir);
  const launcher = join(extensionsDir, 'secret-sidecar');
  await copyFile(builtLauncher, launcher);
  await chmod(launcher, 0o755);
  // The bundle and the chunks it loads on first use.
  await cp(dirname(extensionBundle), join(optDir, 'secret-sidecar'), { recursive: true });
  return {
    optDir,
    extensionsDir,
    launcher,
    remove: () => rm(optDir, { recursive: true, force: true }),
  };
}
