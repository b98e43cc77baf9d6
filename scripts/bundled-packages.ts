/**
 * Which third-party npm packages a bundle really contains, read from esbuild's metafile
 * (the inputs that made it into the output, not the install tree), with each package's
 * version, licence, lockfile integrity and licence texts. The build writes the list next
 * to its output and the licence texts into each bundle's folder; `make release` turns the
 * lists into CycloneDX SBOMs.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';

/** One npm package whose code is inside a bundle. */
export interface BundledPackage {
  readonly name: string;
  readonly version: string;
  /** SPDX expression from its package.json, or `NOASSERTION`. */
  readonly license: string;
  /** Folder relative to the repository root, e.g. `node_modules/@smithy/core`. */
  readonly path: string;
  /** npm's `sha512-…` of the package tarball, from package-lock.json. */
  readonly integrity: string | undefined;
  /** Licence and notice files of the package, relative to {@link path}. */
  readonly licenseFiles: readonly string[];
}

const PACKAGE_ROOT = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/]+(?=\/)/g;
const LICENSE_FILE = /^(licen[cs]e|copying|notice)(\.|-|$)/i;

/** The package folder an esbuild input path lies in, or undefined for our own code. */
export function packageRootOf(input: string): string | undefined {
  const matches = [...input.matchAll(PACKAGE_ROOT)];
  const last = matches.at(-1);
  if (!last) return undefined;
  return input.slice(0, last.index + last[0].length).replace(/^\//, '');
}

/** The third-party packages of one bundle's metafile, sorted by name and version. */
export async function bundledPackages(root: string, metafile: Metafile): Promise<BundledPackage[]> {
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { integrity?: string }>;
  };
  const dirs = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const input of Object.keys(output.inputs)) {
      const dir = packageRootOf(input);
      if (dir !== undefined) dirs.add(dir);
    }
  }
  const out: BundledPackage[] = [];
  for (const path of dirs) {
    const manifest = JSON.parse(await readFile(join(root, path, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: string;
    };
    const files = (await readdir(join(root, path))).filter((f) => LICENSE_FILE.test(f)).sort();
    out.push({
      name: manifest.name,
      version: manifest.version,
      license: manifest.license ?? 'NOASSERTION',
      path,
      integrity: lock.packages[path]?.integrity,
      licenseFiles: files,
    });
  }
  return out.sort((a, b) =>
    a.name === b.name ? a.version.localeCompare(b.version) : a.name.localeCompare(b.name),
  );
}

/**
 * The licence texts of `packages` as one file: each distinct text once, headed by every
 * package (name, version, SPDX id) that ships it, so forty copies of the Apache licence
 * read as one.
 */
export async function thirdPartyNotice(
  root: string,
  packages: readonly BundledPackage[],
): Promise<string> {
  const byText = new Map<string, string[]>();
  const unlicensed: string[] = [];
  for (const p of packages) {
    const id = `${p.name}@${p.version} (${p.license})`;
    if (p.licenseFiles.length === 0) unlicensed.push(id);
    for (const f of p.licenseFiles) {
      const text = (await readFile(join(root, p.path, f), 'utf8')).trimEnd();
      byText.set(text, [...(byText.get(text) ?? []), `${id}: ${f}`]);
    }
  }
  const rule = '='.repeat(78);
  const parts = [
    `Third-party software bundled in this artifact (${packages.length} packages), with the licence texts it ships under.\n`,
  ];
  for (const [text, owners] of byText) {
    parts.push(`\n${rule}\n${owners.join('\n')}\n${rule}\n\n${text}\n`);
  }
  if (unlicensed.length > 0) {
    parts.push(
      `\n${rule}\nPackages that ship no licence file (their package.json names the licence):\n${unlicensed.join('\n')}\n`,
    );
  }
  return parts.join('');
}
