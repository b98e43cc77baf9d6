/**
 * The workspace packages' manifests: one version everywhere, the fields npm and bundlers
 * read set right, and no dependency that would pull CDK (or anything) into a function.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../../scripts/build.ts';
import { PACKAGE_DIRS } from '../../../scripts/packages.ts';

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly license?: string;
  readonly type?: string;
  readonly sideEffects?: boolean;
  readonly engines?: Record<string, string>;
  readonly files?: readonly string[];
  readonly repository?: { readonly url: string; readonly directory?: string };
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly exports?: Record<string, unknown>;
  readonly workspaces?: readonly string[];
}

function manifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Manifest;
}

const root = manifest('.');
const packages = PACKAGE_DIRS.map((dir) => ({ dir, m: manifest(dir) }));

describe('workspace package manifests', () => {
  it('lists every package folder as a workspace', () => {
    expect([...(root.workspaces ?? [])].sort()).toEqual([...PACKAGE_DIRS].sort());
  });

  it.each(packages)('$dir carries the repository version', ({ m }) => {
    expect(m.version).toBe(root.version);
  });

  it.each(packages)(
    '$dir is publishable: licence, repository folder, files, README, LICENSE',
    ({ dir, m }) => {
      expect(m.private).toBeUndefined();
      expect(m.license).toBe(root.license);
      expect(m.repository?.url).toBe(root.repository?.url);
      expect(m.repository?.directory).toBe(dir);
      expect(m.files).toEqual(expect.arrayContaining(['README.md', 'LICENSE']));
    },
  );

  it.each(packages.filter((p) => !p.dir.startsWith('layers/')))(
    '$dir is side-effect-free ESM for Node 20.18+ with types on every entry point',
    ({ m }) => {
      expect(m.type).toBe('module');
      expect(m.sideEffects).toBe(false);
      expect(m.engines?.node).toBe(root.engines?.node);
      for (const [entry, target] of Object.entries(m.exports ?? {})) {
        if (entry === './package.json') continue;
        expect(target).toMatchObject({
          types: expect.stringMatching(/\.d\.ts$/),
          import: expect.stringMatching(/\.js$/),
        });
      }
    },
  );

  it('the client has no runtime dependencies', () => {
    expect(manifest('client').dependencies).toBeUndefined();
    expect(manifest('client').peerDependencies).toBeUndefined();
  });

  it('the constructs take aws-cdk-lib and constructs as peers, and the standalone layers as optional peers at the same version', () => {
    const cdk = manifest('cdk');
    expect(cdk.dependencies).toBeUndefined();
    expect(Object.keys(cdk.peerDependencies ?? {}).sort()).toEqual([
      '@secret-sidecar/layer-standalone-arm64',
      '@secret-sidecar/layer-standalone-x86_64',
      'aws-cdk-lib',
      'constructs',
    ]);
    for (const arch of ['arm64', 'x86_64']) {
      const name = `@secret-sidecar/layer-standalone-${arch}`;
      expect(cdk.peerDependencies?.[name]).toBe(root.version);
      expect(cdk.peerDependenciesMeta?.[name]?.optional).toBe(true);
    }
  });

  it('the repository root stays private: it is the workspace, not a package', () => {
    expect(root.private).toBe(true);
  });
});
