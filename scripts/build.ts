/**
 * Bundles every deployable and dev-tool entry point with esbuild, assembles the layer in
 * both flavours, zips them reproducibly, and stages what the packages ship.
 *
 *   dist/layer/                          node flavour: runs on the function's own Node.js
 *   dist/layer-standalone-<arch>/        standalone flavour: ships its own pinned Node.js
 *   dist/secret-sidecar-layer.zip, dist/secret-sidecar-standalone-<arch>.zip
 *   dist/rotation/, dist/inference/, dist/inference-stream/   function bundles
 *   dist/sandbox/runtime.mjs             dev tool: the local sandbox's runtime loop
 *   THIRD_PARTY_LICENSES.txt next to each bundle; dist/bundled-packages.json (for the SBOMs)
 *
 * `make build` runs this file (`npx tsx scripts/build.ts`); the test suites call
 * {@link buildAll} once per run into a private directory.
 */
import { chmod, copyFile, cp, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { type BundledPackage, bundledPackages, thirdPartyNotice } from './bundled-packages.ts';
import { ARCHITECTURES, type Architecture, ensureNodeBinary } from './node-runtime.ts';
import { zipDirectory } from './zip.ts';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The export condition under which the workspace packages expose their TypeScript sources. */
export const SOURCE_CONDITION = '@secret-sidecar/source';

/**
 * The export conditions every bundle resolves with: our sources, then `module`. Once any
 * condition is given esbuild drops its default `module` one, and packages whose `exports`
 * list `node` (CommonJS) before `import`, as `@smithy/core` and `@aws-sdk/core` do, would
 * resolve to CommonJS: every submodule bundled and evaluated, nothing tree-shaken. With
 * `module` the extension's Secrets Manager chunk is a quarter smaller, and the extension's
 * spawn → first 200 fell from 256 to 194 ms median (8 interleaved starts, 2026-12-02).
 */
export const BUNDLE_CONDITIONS: readonly string[] = [SOURCE_CONDITION, 'module'];

/** ESM bundles need a real `require` for the CommonJS parts of their dependencies. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __ssCreateRequire } from 'node:module'; const require = __ssCreateRequire(import.meta.url);";

/** What gets bundled, relative to the repository root and the output directory. */
export const ENTRIES = [
  // The extension: `index.mjs` plus chunks it imports on first use (each AWS SDK client),
  // minified to keep the layer small.
  { in: 'extension/main.ts', out: 'layer/secret-sidecar/index.mjs', minify: true, split: true },
  // Lambda functions (the AWS SDK is bundled too, so the exact tested version ships).
  { in: 'rotation/index.ts', out: 'rotation/index.mjs', minify: false },
  { in: 'inference/index.ts', out: 'inference/index.mjs', minify: false },
  { in: 'inference/stream.ts', out: 'inference-stream/index.mjs', minify: false },
  // The operator's key-pool tool (Anthropic): run with Node, `node dist/pool-cli/index.mjs`.
  { in: 'rotation/cli/pool-main.ts', out: 'pool-cli/index.mjs', minify: false },
  // Dev tool: the runtime loop the local Lambda sandbox runs handlers in.
  { in: 'tools/sandbox/runtime.ts', out: 'sandbox/runtime.mjs', minify: false },
] as const;

/** The layer's launcher, copied to `extensions/secret-sidecar` of each flavour. */
const LAUNCHER = 'extension/bin/secret-sidecar';

/** Where a flavour's tree lives under the output directory. */
function standaloneDir(outDir: string, arch: Architecture): string {
  return join(outDir, `layer-standalone-${arch}`);
}

/** Paths inside a build output directory. */
export function buildPaths(outDir: string) {
  return {
    outDir,
    layerDir: join(outDir, 'layer'),
    extensionsDir: join(outDir, 'layer/extensions'),
    launcher: join(outDir, 'layer/extensions/secret-sidecar'),
    extensionBundle: join(outDir, 'layer/secret-sidecar/index.mjs'),
    layerZip: join(outDir, 'secret-sidecar-layer.zip'),
    /** The standalone flavour of `arch`: tree and zip. */
    standalone: (arch: Architecture) => ({
      layerDir: standaloneDir(outDir, arch),
      extensionsDir: join(standaloneDir(outDir, arch), 'extensions'),
      node: join(standaloneDir(outDir, arch), 'secret-sidecar/bin/node'),
      zip: join(outDir, `secret-sidecar-standalone-${arch}.zip`),
    }),
    rotationTask: join(outDir, 'rotation'),
    inferenceTask: join(outDir, 'inference'),
    streamTask: join(outDir, 'inference-stream'),
    runtime: join(outDir, 'sandbox/runtime.mjs'),
  } as const;
}

/**
 * Bundles one TypeScript entry into one ESM file, or with `split`, into `outfile` plus the
 * chunks its dynamic imports load (under `chunks/` next to it, named by content hash).
 */
export async function bundle(
  entry: string,
  outfile: string,
  minify = false,
  split = false,
): Promise<Metafile> {
  const output = split
    ? {
        outdir: dirname(outfile),
        entryNames: basename(outfile, '.mjs'),
        chunkNames: 'chunks/[name]-[hash]',
        outExtension: { '.js': '.mjs' },
        splitting: true,
      }
    : { outfile };
  const result = await build({
    entryPoints: [resolve(ROOT, entry)],
    ...output,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: [...BUNDLE_CONDITIONS],
    // Prefer the ES module builds of dependencies: the AWS SDK then tree-shakes to what we use.
    mainFields: ['module', 'main'],
    minify,
    sourcemap: false,
    legalComments: 'none',
    banner: { js: ESM_REQUIRE_BANNER },
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

/** Options of {@link buildAll}. */
export interface BuildOptions {
  readonly outDir: string;
  /** Zip the layers. @default true */
  readonly zip?: boolean;
  /** Standalone flavours to assemble. @default every architecture */
  readonly standalone?: readonly Architecture[];
  /** Progress lines. */
  readonly say?: (line: string) => void;
}

/**
 * Writes, for each bundle, the licence texts of the third-party code inside it
 * (`THIRD_PARTY_LICENSES.txt` next to the bundle, so it ships with it) and the list of
 * bundled packages by entry (`bundled-packages.json`, which `make release` reads).
 */
async function recordBundledPackages(
  outDir: string,
  metafiles: readonly Metafile[],
): Promise<void> {
  const byEntry: Record<string, BundledPackage[]> = {};
  for (const [i, entry] of ENTRIES.entries()) {
    const meta = metafiles[i];
    if (meta === undefined) continue;
    const packages = await bundledPackages(ROOT, meta);
    byEntry[entry.out] = packages;
    if (packages.length === 0) continue;
    await writeFile(
      join(outDir, dirname(entry.out), THIRD_PARTY_LICENSES),
      await thirdPartyNotice(ROOT, packages),
    );
  }
  await writeFile(join(outDir, BUNDLED_PACKAGES), `${JSON.stringify(byEntry, null, 2)}\n`);
}

/** The licence texts of bundled third-party code, next to each bundle. */
export const THIRD_PARTY_LICENSES = 'THIRD_PARTY_LICENSES.txt';
/** The bundled packages of every entry, at the top of a build's output. */
export const BUNDLED_PACKAGES = 'bundled-packages.json';

/** Builds everything into `outDir` (which must not exist yet, or be empty). */
export async function buildAll(options: BuildOptions): Promise<void> {
  const paths = buildPaths(options.outDir);
  const zip = options.zip ?? true;
  const metafiles = await Promise.all(
    ENTRIES.map((e) =>
      bundle(e.in, join(options.outDir, e.out), e.minify, 'split' in e ? e.split : false),
    ),
  );
  await recordBundledPackages(options.outDir, metafiles);
  await mkdir(paths.extensionsDir, { recursive: true });
  await copyFile(join(ROOT, LAUNCHER), paths.launcher);
  await chmod(paths.launcher, 0o755);
  if (zip) await zipDirectory(paths.layerDir, paths.layerZip);
  for (const arch of options.standalone ?? ARCHITECTURES) {
    const node = await ensureNodeBinary(arch, options.say);
    const s = paths.standalone(arch);
    await cp(paths.layerDir, s.layerDir, { recursive: true });
    await mkdir(dirname(s.node), { recursive: true });
    await copyFile(node.node, s.node);
    await chmod(s.node, 0o755);
    await mkdir(join(s.layerDir, 'secret-sidecar/licenses'), { recursive: true });
    await copyFile(node.license, join(s.layerDir, 'secret-sidecar/licenses/node.LICENSE'));
    if (zip) await zipDirectory(s.layerDir, s.zip);
  }
}

/** The folder of build output the CDK package ships, resolved by the constructs from their own location. */
export const CDK_ASSETS_DIR = join(ROOT, 'cdk', 'assets');

/** Copies what the CDK package carries (layer zip, function bundles) from a build into `assetsDir`. */
export async function stageCdkAssets(outDir: string, assetsDir = CDK_ASSETS_DIR): Promise<void> {
  const paths = buildPaths(outDir);
  await rm(assetsDir, { recursive: true, force: true });
  await mkdir(assetsDir, { recursive: true });
  await copyFile(paths.layerZip, join(assetsDir, 'layer-node.zip'));
  for (const [from, to] of [
    [paths.rotationTask, 'rotation'],
    [paths.inferenceTask, 'inference'],
    [paths.streamTask, 'inference-stream'],
  ] as const) {
    await cp(from, join(assetsDir, to), { recursive: true });
  }
}

/** The workspace packages that carry the standalone zips (`layers/standalone-<arch>/`). */
export function layerPackageDir(arch: Architecture): string {
  return join(ROOT, 'layers', `standalone-${arch}`);
}

/** Copies each standalone zip of a build into its package, as `layer.zip`. */
export async function stageLayerPackages(outDir: string): Promise<void> {
  const paths = buildPaths(outDir);
  for (const arch of ARCHITECTURES) {
    const zip = paths.standalone(arch).zip;
    if (await stat(zip).catch(() => undefined)) {
      await copyFile(zip, join(layerPackageDir(arch), 'layer.zip'));
    }
  }
}

/** `make build`: builds into a staging directory, then swaps it in for `dist/`. */
async function main(): Promise<void> {
  const dist = join(ROOT, 'dist');
  const staging = await mkdtemp(join(ROOT, '.dist-'));
  const say = (line: string) => console.log(line);
  try {
    await buildAll({ outDir: staging, say });
    const old = `${staging}-old`;
    await rename(dist, old).catch(() => undefined);
    await rename(staging, dist);
    await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  await stageCdkAssets(dist);
  await stageLayerPackages(dist);
  const paths = buildPaths(dist);
  const sizes = [`node ${(await stat(paths.layerZip)).size} B`];
  for (const arch of ARCHITECTURES) {
    sizes.push(
      `standalone-${arch} ${((await stat(paths.standalone(arch).zip)).size / 1e6).toFixed(1)} MB`,
    );
  }
  console.log(`built dist/ (layer zips: ${sizes.join(', ')}) cdk/assets/ and layers/*/layer.zip`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
