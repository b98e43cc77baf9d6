/**
 * `make packages`: the npm packages, built and packed into `dist/packages/`:
 *   @secret-sidecar/client                ESM (one file per entry, shared chunks) + .d.ts
 *   @secret-sidecar/cdk                   ESM + .d.ts + assets/ (the node layer, function bundles)
 *   @secret-sidecar/layer-standalone-<arch>  layer.zip
 * Run after `make build` (the cdk package carries its output). Nothing outside the packages
 * is bundled as a dependency: the client has none, the constructs take aws-cdk-lib and
 * constructs as peers. Tarballs are what `npm pack` writes (fixed timestamps, sorted).
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import {
  BUNDLE_CONDITIONS,
  BUNDLED_PACKAGES,
  ESM_REQUIRE_BANNER,
  ROOT,
  stageCdkAssets,
  stageLayerPackages,
} from './build.ts';
import { bundledPackages } from './bundled-packages.ts';

/** The workspace packages, in dependency order, by folder. */
export const PACKAGE_DIRS = [
  'client',
  'cdk',
  'layers/standalone-x86_64',
  'layers/standalone-arm64',
] as const;

/** Entries of each code package: source → output name under `dist/`. */
const ENTRIES: Readonly<Record<'client' | 'cdk', Readonly<Record<string, string>>>> = {
  client: {
    index: 'client/src/index.ts',
    secrets: 'client/src/secrets.ts',
    ssm: 'client/src/ssm.ts',
    errors: 'client/src/errors-entry.ts',
  },
  cdk: { index: 'cdk/src/index.ts' },
};

/** Bundles one package's JavaScript into `<pkg>/dist/`. */
async function bundleJs(pkg: 'client' | 'cdk', external: readonly string[]): Promise<Metafile> {
  const result = await build({
    entryPoints: Object.fromEntries(
      Object.entries(ENTRIES[pkg]).map(([out, src]) => [out, join(ROOT, src)]),
    ),
    outdir: join(ROOT, pkg, 'dist'),
    bundle: true,
    splitting: true,
    chunkNames: 'chunk-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: [...BUNDLE_CONDITIONS],
    mainFields: ['module', 'main'],
    external: [...external],
    legalComments: 'none',
    banner: pkg === 'cdk' ? { js: ESM_REQUIRE_BANNER } : {},
    metafile: true,
    logLevel: 'warning',
  });
  if (!result.metafile) throw new Error(`esbuild wrote no metafile for ${pkg}`);
  return result.metafile;
}

/** Emits `.d.ts` for a package with tsc, rewriting `.ts` specifiers to `.js`. */
async function declarations(pkg: 'client' | 'cdk'): Promise<void> {
  const out = join(ROOT, pkg, 'dist/types');
  const config = join(ROOT, '.tmp', `tsconfig.${pkg}.d.json`);
  await mkdir(dirname(config), { recursive: true });
  await writeFile(
    config,
    JSON.stringify({
      extends: relative(dirname(config), join(ROOT, 'tsconfig.json')),
      compilerOptions: {
        noEmit: false,
        declaration: true,
        emitDeclarationOnly: true,
        outDir: relative(dirname(config), out),
        rootDir: relative(dirname(config), ROOT),
      },
      include: [relative(dirname(config), join(ROOT, pkg, 'src'))],
    }),
  );
  execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', config], { stdio: 'inherit' });
  for (const file of await walk(out)) {
    const text = await readFile(file, 'utf8');
    await writeFile(
      file,
      text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2'),
    );
  }
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Options of {@link buildPackages}. */
export interface PackagesOptions {
  /** Where the tarballs go. @default dist/packages */
  readonly outDir?: string;
  /** The `make build` output the cdk and layer packages carry. @default dist */
  readonly buildDir?: string;
  /** Pack the standalone layer packages too (about 40 MB each). @default true */
  readonly standalone?: boolean;
}

/** Builds every package and packs it; resolves to the tarball paths by package folder. */
export async function buildPackages(o: PackagesOptions = {}): Promise<Record<string, string>> {
  const outDir = o.outDir ?? join(ROOT, 'dist/packages');
  const buildDir = o.buildDir ?? join(ROOT, 'dist');
  await stageCdkAssets(buildDir);
  await stageLayerPackages(buildDir);
  for (const pkg of ['client', 'cdk'] as const) {
    await rm(join(ROOT, pkg, 'dist'), { recursive: true, force: true });
  }
  const bundled = {
    client: await bundledPackages(ROOT, await bundleJs('client', [])),
    cdk: await bundledPackages(
      ROOT,
      await bundleJs('cdk', ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', '@secret-sidecar/*']),
    ),
  };
  await declarations('client');
  await declarations('cdk');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, BUNDLED_PACKAGES), `${JSON.stringify(bundled, null, 2)}\n`);
  const tarballs: Record<string, string> = {};
  const dirs = PACKAGE_DIRS.filter((d) => o.standalone !== false || !d.startsWith('layers/'));
  for (const dir of dirs) {
    await copyFile(join(ROOT, 'LICENSE'), join(ROOT, dir, 'LICENSE'));
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], {
      cwd: join(ROOT, dir),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [packed] = JSON.parse(out) as { filename: string }[];
    if (!packed) throw new Error(`npm pack wrote nothing for ${dir}`);
    tarballs[dir] = join(outDir, packed.filename);
  }
  return tarballs;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const tarballs = await buildPackages();
  for (const t of Object.values(tarballs)) console.log(relative(ROOT, t));
}
