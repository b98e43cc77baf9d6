/**
 * Builds what the sandbox integration tests run into a private temp tree with esbuild,
 * the same way scripts/build.mjs does, so a concurrent `make build` (which wipes dist/)
 * cannot pull files from under a running test.
 */
import { chmod, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const banner = {
  js: "import { createRequire as __ssCreateRequire } from 'node:module'; const require = __ssCreateRequire(import.meta.url);",
};

/** Paths of a built tree. */
export interface BuiltTree {
  readonly root: string;
  /** Layer `extensions/` directory (the launcher). */
  readonly extensionsDir: string;
  /** Task root of the API Gateway function (`index.handler`). */
  readonly inferenceTask: string;
  /** Task root of the streaming function (`index.handler`). */
  readonly streamTask: string;
  /** argv that starts the sandbox's Node runtime loop. */
  readonly runtimeCommand: readonly string[];
  remove(): Promise<void>;
}

async function bundle(entry: string, outfile: string, minify = false): Promise<void> {
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify,
    sourcemap: false,
    legalComments: 'none',
    banner,
    logLevel: 'warning',
  });
}

/** Bundles the extension layer, both inference functions and the sandbox runtime. */
export async function buildTree(): Promise<BuiltTree> {
  const dir = await mkdtemp(join(tmpdir(), 'inference-it-'));
  const layer = join(dir, 'layer');
  await Promise.all([
    bundle('extension/main.ts', join(layer, 'secret-sidecar/index.mjs'), true),
    bundle('inference/index.ts', join(dir, 'inference/index.mjs')),
    bundle('inference/stream.ts', join(dir, 'inference-stream/index.mjs')),
    bundle('sandbox/runtime.ts', join(dir, 'runtime/runtime.mjs')),
  ]);
  const launcher = join(layer, 'extensions/secret-sidecar');
  await mkdir(dirname(launcher), { recursive: true });
  await copyFile(join(root, 'extension/bin/secret-sidecar'), launcher);
  await chmod(launcher, 0o755);
  return {
    root: dir,
    extensionsDir: join(layer, 'extensions'),
    inferenceTask: join(dir, 'inference'),
    streamTask: join(dir, 'inference-stream'),
    runtimeCommand: [process.execPath, join(dir, 'runtime/runtime.mjs')],
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
