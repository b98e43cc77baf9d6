/**
 * Bundles every deployable and dev-tool entry point with esbuild, then zips the
 * Lambda layer with exec bits preserved.
 *
 * `make build` runs this file (`npx tsx scripts/build.ts`) to produce `dist/`;
 * the test suite calls {@link buildAll} once per run into a private directory.
 */
import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** ESM bundles need a real `require` for the CommonJS parts of their dependencies. */
const BANNER =
  "import { createRequire as __ssCreateRequire } from 'node:module'; const require = __ssCreateRequire(import.meta.url);";

/** What gets bundled, relative to the repository root and the output directory. */
export const ENTRIES = [
  // The extension: one file, AWS SDK included, minified to keep the layer small.
  { in: 'extension/main.ts', out: 'layer/secret-sidecar/index.mjs', minify: true },
  // Lambda functions (the AWS SDK is bundled too, so the exact tested version ships).
  { in: 'rotation/index.ts', out: 'rotation/index.mjs', minify: false },
  { in: 'inference/index.ts', out: 'inference/index.mjs', minify: false },
  { in: 'inference/stream.ts', out: 'inference-stream/index.mjs', minify: false },
  // The client library for any Node Lambda author (`secret-sidecar/client`).
  { in: 'inference/client-index.ts', out: 'client/index.mjs', minify: false },
  // Dev tool: the runtime loop the local Lambda sandbox runs handlers in.
  { in: 'sandbox/runtime.ts', out: 'sandbox/runtime.mjs', minify: false },
] as const;

/** The layer's launcher, copied to `layer/extensions/secret-sidecar`. */
const LAUNCHER = 'extension/bin/secret-sidecar';

/** Paths inside a build output directory. */
export function buildPaths(outDir: string) {
  return {
    outDir,
    layerDir: join(outDir, 'layer'),
    extensionsDir: join(outDir, 'layer/extensions'),
    launcher: join(outDir, 'layer/extensions/secret-sidecar'),
    extensionBundle: join(outDir, 'layer/secret-sidecar/index.mjs'),
    layerZip: join(outDir, 'secret-sidecar-layer.zip'),
    rotationTask: join(outDir, 'rotation'),
    inferenceTask: join(outDir, 'inference'),
    streamTask: join(outDir, 'inference-stream'),
    runtime: join(outDir, 'sandbox/runtime.mjs'),
  } as const;
}

/** Bundles one TypeScript entry into one ESM file. */
export async function bundle(entry: string, outfile: string, minify = false): Promise<void> {
  await build({
    entryPoints: [resolve(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Prefer the ES module builds of dependencies: the AWS SDK then tree-shakes to what we use.
    mainFields: ['module', 'main'],
    minify,
    sourcemap: false,
    legalComments: 'none',
    banner: { js: BANNER },
    logLevel: 'warning',
  });
}

/** Builds everything into `outDir` (which must not exist yet, or be empty). */
export async function buildAll(options: { outDir: string; zip?: boolean }): Promise<void> {
  const paths = buildPaths(options.outDir);
  await Promise.all(ENTRIES.map((e) => bundle(e.in, join(options.outDir, e.out), e.minify)));
  await mkdir(paths.extensionsDir, { recursive: true });
  await copyFile(join(ROOT, LAUNCHER), paths.launcher);
  await chmod(paths.launcher, 0o755);
  if (options.zip ?? true) {
    // python3's zipfile stores each file's mode, so the launcher stays executable.
    execFileSync(
      'python3',
      ['-m', 'zipfile', '-c', paths.layerZip, 'extensions', 'secret-sidecar'],
      {
        cwd: paths.layerDir,
        stdio: 'inherit',
      },
    );
  }
}

/** `make build`: builds into a staging directory, then swaps it in for `dist/`. */
async function main(): Promise<void> {
  const dist = join(ROOT, 'dist');
  const staging = await mkdtemp(join(ROOT, '.dist-'));
  try {
    await buildAll({ outDir: staging });
    const old = `${staging}-old`;
    await rename(dist, old).catch(() => undefined);
    await rename(staging, dist);
    await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  const zip = await stat(buildPaths(dist).layerZip);
  console.log(`built dist/ (layer zip ${zip.size} bytes)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
