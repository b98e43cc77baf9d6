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

/** Where the bench runs from. */
export interface Workspace {
  readonly dir: string;
  /** `<opt>/extensions`: the sandbox's extensionsDir. */
  readonly extensionsDir: string;
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

/** Same `require` shim as scripts/build.ts, for the CommonJS parts of the AWS SDK. */
const BANNER =
  "import { createRequire as __ssCreateRequire } from 'node:module'; const require = __ssCreateRequire(import.meta.url);";

/** Copies `<root>/dist/layer` and bundles the handlers into a new temp directory. */
export async function prepareWorkspace(root: string): Promise<Workspace> {
  const layer = join(root, 'dist/layer');
  const launcher = join(layer, 'extensions/secret-sidecar');
  if (!existsSync(launcher) || !existsSync(join(layer, 'secret-sidecar/index.mjs'))) {
    throw new Error(`${layer} is incomplete: run "make build" first`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'secret-sidecar-bench-'));
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const opt = join(dir, 'opt');
    await cp(layer, opt, { recursive: true });
    await chmod(join(opt, 'extensions/secret-sidecar'), 0o755);
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
      conditions: ['@secret-sidecar/source'],
      banner: { js: BANNER },
      logLevel: 'warning',
    });
    return { dir, extensionsDir: join(opt, 'extensions'), taskRoot, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Bytes of `dist/secret-sidecar-layer.zip` and of the files it packs. */
export async function layerSize(root: string): Promise<LayerSize> {
  const zip = join(root, 'dist/secret-sidecar-layer.zip');
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
  await walk(join(root, 'dist/layer'));
  return { zipBytes, unzippedBytes, files };
}
