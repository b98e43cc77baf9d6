/**
 * `make release`: the release artifacts in `dist/release/`, from `make build` and
 * `make packages` output:
 *   the three layer zips and the npm tarballs;
 *   `<artifact>.cdx.json`: a CycloneDX 1.5 SBOM of the third-party code each one bundles;
 *   `THIRD_PARTY_LICENSES.txt`: the licence texts of all of it (Node.js's included);
 *   `SHA256SUMS` over everything else (`sha256sum -c SHA256SUMS` checks it).
 *
 * The SBOMs list what esbuild put into the bundles (its metafile), not the install tree:
 * `npm sbom` describes node_modules, which both over-reports (packages an artifact does not
 * bundle) and, on this workspace, omits bundled ones. Everything here is a function of the
 * commit: the timestamp is the commit's (or `SOURCE_DATE_EPOCH`), the serial number is
 * derived from the content, so two runs give byte-identical files.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUNDLED_PACKAGES, buildPaths, ROOT } from './build.ts';
import { type BundledPackage, thirdPartyNotice } from './bundled-packages.ts';
import { ARCHITECTURES, type Architecture } from './node-runtime.ts';

/** Options of {@link buildRelease}. */
export interface ReleaseOptions {
  /** `make build` output. @default dist */
  readonly buildDir?: string;
  /** `make packages` output. @default dist/packages */
  readonly packagesDir?: string;
  /** @default dist/release */
  readonly outDir?: string;
  /** Seconds since the epoch stamped into the SBOMs. @default SOURCE_DATE_EPOCH, else the HEAD commit's time */
  readonly sourceDateEpoch?: number;
}

/** One release artifact and what it bundles. */
interface Artifact {
  readonly file: string;
  readonly type: 'application' | 'library';
  readonly packages: readonly BundledPackage[];
  readonly node?: Architecture;
}

interface NodeRuntimePin {
  readonly version: string;
  readonly architectures: Record<Architecture, { package: string; integrity: string }>;
}

const VERSION = (
  JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `pkg:npm/%40scope/name@version`, as the purl spec writes npm packages. */
export function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
}

/** npm's `sha512-<base64>` integrity as a CycloneDX hash. */
function integrityHash(integrity: string | undefined): { alg: string; content: string }[] {
  const m = /^sha512-(.+)$/.exec(integrity ?? '');
  return m?.[1] ? [{ alg: 'SHA-512', content: Buffer.from(m[1], 'base64').toString('hex') }] : [];
}

function licenseOf(spdx: string): { license: { id: string } } | { expression: string } {
  return /^[A-Za-z0-9.+-]+$/.test(spdx) && spdx !== 'NOASSERTION'
    ? { license: { id: spdx } }
    : { expression: spdx };
}

/** A UUID (version 5 layout) derived from `seed`, so the same content gets the same serial. */
function derivedUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The CycloneDX 1.5 document for one artifact. */
export function sbomFor(
  artifact: Artifact,
  artifactSha256: string,
  timestamp: string,
  node: NodeRuntimePin,
): Record<string, unknown> {
  const components: Record<string, unknown>[] = artifact.packages.map((p) => ({
    type: 'library',
    'bom-ref': npmPurl(p.name, p.version),
    name: p.name,
    version: p.version,
    purl: npmPurl(p.name, p.version),
    licenses: [licenseOf(p.license)],
    hashes: integrityHash(p.integrity),
  }));
  if (artifact.node !== undefined) {
    const pin = node.architectures[artifact.node];
    components.push({
      type: 'application',
      'bom-ref': npmPurl(pin.package, node.version),
      name: pin.package,
      version: node.version,
      description:
        'Node.js runtime (official build, from the npm registry), bundled as secret-sidecar/bin/node',
      purl: npmPurl(pin.package, node.version),
      licenses: [{ license: { id: 'MIT' } }],
      hashes: integrityHash(pin.integrity),
    });
  }
  const body = {
    metadata: {
      timestamp,
      tools: {
        components: [
          { type: 'application', name: 'secret-sidecar scripts/release.ts', version: VERSION },
        ],
      },
      component: {
        type: artifact.type,
        'bom-ref': artifact.file,
        name: artifact.file,
        version: VERSION,
        licenses: [{ license: { id: 'Apache-2.0' } }],
        hashes: [{ alg: 'SHA-256', content: artifactSha256 }],
        externalReferences: [
          { type: 'vcs', url: 'https://github.com/secret-sidecar/secret-sidecar' },
        ],
      },
    },
    components,
  };
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.5.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${derivedUuid(JSON.stringify(body))}`,
    version: 1,
    ...body,
  };
}

function union(...lists: readonly (readonly BundledPackage[] | undefined)[]): BundledPackage[] {
  const out = new Map<string, BundledPackage>();
  for (const list of lists) for (const p of list ?? []) out.set(`${p.name}@${p.version}`, p);
  return [...out.values()].sort((a, b) =>
    a.name === b.name ? a.version.localeCompare(b.version) : a.name.localeCompare(b.name),
  );
}

function defaultEpoch(): number {
  const fromEnv = process.env.SOURCE_DATE_EPOCH;
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv)) return Number(fromEnv);
  return Number(
    execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' }).trim(),
  );
}

/** Writes the release into `outDir`; resolves to the file names, in SHA256SUMS order. */
export async function buildRelease(o: ReleaseOptions = {}): Promise<string[]> {
  const buildDir = o.buildDir ?? join(ROOT, 'dist');
  const packagesDir = o.packagesDir ?? join(ROOT, 'dist/packages');
  const outDir = o.outDir ?? join(ROOT, 'dist/release');
  const timestamp = new Date((o.sourceDateEpoch ?? defaultEpoch()) * 1000).toISOString();
  const paths = buildPaths(buildDir);
  const node = JSON.parse(
    await readFile(join(ROOT, 'scripts/node-runtime.json'), 'utf8'),
  ) as NodeRuntimePin;
  const built = JSON.parse(await readFile(join(buildDir, BUNDLED_PACKAGES), 'utf8')) as Record<
    string,
    BundledPackage[]
  >;
  const packed = JSON.parse(await readFile(join(packagesDir, BUNDLED_PACKAGES), 'utf8')) as Record<
    'client' | 'cdk',
    BundledPackage[]
  >;
  const layer = built['layer/secret-sidecar/index.mjs'] ?? [];
  const tarball = async (name: string): Promise<string> => {
    const file = (await readdir(packagesDir)).find((f) => f === `${name}-${VERSION}.tgz`);
    if (!file)
      throw new Error(`${packagesDir} has no ${name}-${VERSION}.tgz: run \`make packages\``);
    return join(packagesDir, file);
  };

  const sources: { from: string; artifact: Artifact }[] = [
    {
      from: paths.layerZip,
      artifact: { file: basename(paths.layerZip), type: 'application', packages: layer },
    },
    ...ARCHITECTURES.map((arch) => ({
      from: paths.standalone(arch).zip,
      artifact: {
        file: basename(paths.standalone(arch).zip),
        type: 'application' as const,
        packages: layer,
        node: arch,
      },
    })),
    {
      from: await tarball('secret-sidecar-client'),
      artifact: {
        file: `secret-sidecar-client-${VERSION}.tgz`,
        type: 'library',
        packages: packed.client,
      },
    },
    {
      from: await tarball('secret-sidecar-cdk'),
      artifact: {
        file: `secret-sidecar-cdk-${VERSION}.tgz`,
        type: 'library',
        // The constructs package carries the node layer and the function bundles as assets.
        packages: union(
          packed.cdk,
          layer,
          built['rotation/index.mjs'],
          built['inference/index.mjs'],
          built['inference-stream/index.mjs'],
        ),
      },
    },
    ...ARCHITECTURES.map((arch) => ({
      from: join(packagesDir, `secret-sidecar-layer-standalone-${arch}-${VERSION}.tgz`),
      artifact: {
        file: `secret-sidecar-layer-standalone-${arch}-${VERSION}.tgz`,
        type: 'library' as const,
        packages: layer,
        node: arch,
      },
    })),
  ];

  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  for (const { from, artifact } of sources) {
    const target = join(outDir, artifact.file);
    await copyFile(from, target);
    const sbom = sbomFor(artifact, sha256(await readFile(target)), timestamp, node);
    await writeFile(
      join(outDir, `${artifact.file}.cdx.json`),
      `${JSON.stringify(sbom, null, 2)}\n`,
    );
  }
  const everything = union(...sources.map((s) => s.artifact.packages));
  const nodeLicense = await readFile(
    join(paths.standalone('x86_64').layerDir, 'secret-sidecar/licenses/node.LICENSE'),
    'utf8',
  );
  await writeFile(
    join(outDir, 'THIRD_PARTY_LICENSES.txt'),
    `${await thirdPartyNotice(ROOT, everything)}\n${'='.repeat(78)}\nNode.js ${node.version} (MIT), bundled in the standalone layers as secret-sidecar/bin/node\n${'='.repeat(78)}\n\n${nodeLicense.trimEnd()}\n`,
  );
  const files = (await readdir(outDir)).sort();
  const sums = await Promise.all(
    files.map(async (f) => `${sha256(await readFile(join(outDir, f)))}  ${f}\n`),
  );
  await writeFile(join(outDir, 'SHA256SUMS'), sums.join(''));
  return [...files, 'SHA256SUMS'];
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const files = await buildRelease();
  const out = join(ROOT, 'dist/release');
  for (const f of files) console.log(relative(ROOT, join(out, f)));
}
