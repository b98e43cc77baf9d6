/**
 * The bench's private working directory: a copy of the built layer laid out as Lambda
 * mounts it under /opt (so a concurrent rebuild of dist/ cannot change it mid-run), and a
 * task root with the bench handlers bundled by esbuild.
 */
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_CONDITIONS, ESM_REQUIRE_BANNER } from '../../scripts/build.ts';

/** Where the bench runs from. */
export interface Workspace {
  readonly dir: string;
  /** `<opt>/extensions` of the node flavour: the sandbox's extensionsDir. */
  readonly extensionsDir: string;
  /** The same for the standalone flavour of this machine's architecture. */
  readonly standaloneExtensionsDir: string;
  /** The standalone layer tree (for RIE). */
  readonly standaloneLayerDir: string;
  /** The node layer tree (for RIE). */
  readonly nodeLayerDir: string;
  /** Function code: `index.handler` (lookups) and `noop.handler` (cold start). */
  readonly taskRoot: string;
  /** Removes everything. */
  cleanup(): Promise<void>;
}

/** Size of the layer as shipped. */
export interface LayerSize {
  readonly zipBytes: number;
  readonly unzippedBytes: number;
  readonly files: number;
}

/** The standalone flavour this machine can run. */
export const HOST_ARCHITECTURE = process.arch === 'arm64' ? 'arm64' : 'x86_64';

/** Copies both layer flavours of `<root>/dist` and bundles the handlers into a new temp directory. */
export async function prepareWorkspace(root: string): Promise<Workspace> {
  const layer = join(root, 'dist/layer');
  const standalone = join(root, `dist/layer-standalone-${HOST_ARCHITECTURE}`);
  for (const tree of [layer, standalone]) {
    if (
      !existsSync(join(tree, 'extensions/secret-sidecar')) ||
      !existsSync(join(tree, 'secret-sidecar/index.mjs'))
    ) {
      throw new Error(`${tree} is incomplete: run "make build" first`);
    }
  }
  const dir = await mkdtemp(join(tmpdir(), 'secret-sidecar-bench-'));
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const opt = join(dir, 'opt');
    await cp(layer, opt, { recursive: true });
    await chmod(join(opt, 'extensions/secret-sidecar'), 0o755);
    const optStandalone = join(dir, 'opt-standalone');
    await cp(standalone, optStandalone, { recursive: true });
    const taskRoot = join(dir, 'task');
    await mkdir(taskRoot);
    await build({
      entryPoints: {
        index: join(root, 'tools/bench/function/handler.ts'),
        noop: join(root, 'tools/bench/function/noop.ts'),
      },
      outdir: taskRoot,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: [...BUNDLE_CONDITIONS],
      banner: { js: ESM_REQUIRE_BANNER },
      logLevel: 'warning',
    });
    return {
      dir,
      extensionsDir: join(opt, 'extensions'),
      standaloneExtensionsDir: join(optStandalone, 'extensions'),
      standaloneLayerDir: optStandalone,
      nodeLayerDir: opt,
      taskRoot,
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Bytes of each flavour's zip and of the files it packs. */
export async function layerSizes(root: string): Promise<Record<string, LayerSize>> {
  return {
    node: await layerSize(join(root, 'dist/secret-sidecar-layer.zip'), join(root, 'dist/layer')),
    'standalone-x86_64': await layerSize(
      join(root, 'dist/secret-sidecar-standalone-x86_64.zip'),
      join(root, 'dist/layer-standalone-x86_64'),
    ),
    'standalone-arm64': await layerSize(
      join(root, 'dist/secret-sidecar-standalone-arm64.zip'),
      join(root, 'dist/layer-standalone-arm64'),
    ),
  };
}

/** Bytes of one layer zip and of the files of its tree. */
export async function layerSize(zip: string, tree: string): Promise<LayerSize> {
  if (!existsSync(zip)) throw new Error(`${zip} is missing: run "make build" first`);
  const { size: zipBytes } = await stat(zip);
  let unzippedBytes = 0;
  let files = 0;
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else {
        unzippedBytes += (await stat(p)).size;
        files += 1;
      }
    }
  };
  await walk(tree);
  return { zipBytes, unzippedBytes, files };
}
