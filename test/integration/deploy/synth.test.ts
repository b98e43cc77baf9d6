/**
 * `make synth` in a clean clone, offline, without AWS credentials: the same
 * Makefile target, in a fresh `git clone` of this repository, with every
 * AWS_* / CDK_DEFAULT_* variable removed and (where the kernel allows) in a
 * network namespace with no interfaces up, so any network use fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT as REPO_ROOT } from '../../../scripts/build.ts';
import { listZip } from '../../support/zip.ts';

const SYNTH_TIMEOUT_MS = 180_000;

/** True when `unshare -n` can cut this process off the network. */
function canIsolateNetwork(): boolean {
  return spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
}

/** The parent environment minus AWS credentials, region and CDK account hints. */
function offlineEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(AWS_|CDK_DEFAULT_|MOTO)/.test(k) || /_PROXY$/i.test(k)) continue;
    env[k] = v;
  }
  // Without a network namespace, a dead proxy still makes any HTTP(S) use fail fast.
  env.HTTPS_PROXY = 'http://127.0.0.1:9';
  env.HTTP_PROXY = 'http://127.0.0.1:9';
  env.HOME = home;
  env.CI = 'true';
  return env;
}

/**
 * Offline stand-in for `npm ci`: links each dependency already installed here, except the
 * workspace packages, which must resolve to the clone's own folders, as npm would link them.
 */
function linkDependencies(into: string): void {
  const modules = join(into, 'node_modules');
  mkdirSync(join(modules, WORKSPACE_SCOPE), { recursive: true });
  for (const name of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    if (name === WORKSPACE_SCOPE) continue;
    symlinkSync(join(REPO_ROOT, 'node_modules', name), join(modules, name));
  }
  for (const pkg of ['client', 'cdk']) {
    symlinkSync(join(into, pkg), join(modules, WORKSPACE_SCOPE, pkg));
  }
  for (const arch of ['x86_64', 'arm64']) {
    symlinkSync(
      join(into, 'layers', `standalone-${arch}`),
      join(modules, WORKSPACE_SCOPE, `layer-standalone-${arch}`),
    );
  }
  // What the first build fetched (the pinned Node.js of the standalone layers, verified
  // against the repo's hashes), as a machine that ran `make build` once has it.
  mkdirSync(join(into, '.cache'), { recursive: true });
  symlinkSync(join(REPO_ROOT, '.cache', 'node'), join(into, '.cache', 'node'));
}

const WORKSPACE_SCOPE = '@secret-sidecar';

let work: string;
let clone: string;
let result: { status: number | null; output: string; isolated: boolean };

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cdk-synth-'));
  clone = join(work, 'clone');
  execFileSync('git', ['clone', '--quiet', '--no-local', REPO_ROOT, clone], { stdio: 'pipe' });
  linkDependencies(clone);
  const isolated = canIsolateNetwork();
  // `-o` keeps make from re-running `npm ci` (it would need the registry).
  const make = ['make', '-o', 'node_modules/.install-stamp', 'synth'];
  const [cmd, ...args] = isolated ? ['unshare', '-n', ...make] : make;
  const run = spawnSync(cmd ?? 'make', args, {
    cwd: clone,
    env: offlineEnv(work),
    encoding: 'utf8',
    timeout: SYNTH_TIMEOUT_MS,
  });
  result = { status: run.status, output: `${run.stdout}\n${run.stderr}`, isolated };
}, SYNTH_TIMEOUT_MS + 30_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('make synth', () => {
  it('succeeds in a clean clone with no network and no AWS credentials', () => {
    expect(result.status, result.output.slice(-4000)).toBe(0);
    const template = join(clone, 'cdk.out', 'SecretSidecar.template.json');
    expect(existsSync(template)).toBe(true);
    const resources = Object.values(
      JSON.parse(readFileSync(template, 'utf8')).Resources as Record<string, { Type: string }>,
    ).map((r) => r.Type);
    expect(resources).toEqual(
      expect.arrayContaining([
        'AWS::Lambda::LayerVersion',
        'AWS::SecretsManager::RotationSchedule',
        'AWS::ApiGatewayV2::Authorizer',
        'AWS::CloudWatch::Dashboard',
      ]),
    );
  });

  it('runs cdk-nag on that synth and finds nothing unacknowledged', () => {
    const report = JSON.parse(
      readFileSync(join(clone, 'cdk.out', 'validation-report.json'), 'utf8'),
    ) as { pluginReports: { violations?: unknown[] }[] };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });

  it('builds before it synthesizes: the Makefile target only calls cdk, cdk.json runs the build', () => {
    const makefile = readFileSync(join(clone, 'Makefile'), 'utf8');
    expect(makefile).toMatch(/^synth: \$\(NODE_MODULES\) ##/m);
    expect(result.output).toContain('built dist/');
  });

  it('deploys the real bundles from that build', async () => {
    const assets = JSON.parse(
      readFileSync(join(clone, 'cdk.out', 'SecretSidecar.assets.json'), 'utf8'),
    ) as { files: Record<string, { source: { path: string; packaging: string } }> };
    const staged = Object.values(assets.files).map((f) => ({
      ...f.source,
      path: join(clone, 'cdk.out', f.source.path),
    }));
    const layers = staged.filter((f) => f.packaging === 'file' && f.path.endsWith('.zip'));
    expect(layers).toHaveLength(1);
    // Lambda starts only executable files in /opt/extensions; the layer zip keeps this mode.
    const entries = await listZip(layers[0]?.path ?? '');
    const launcher = entries.find((e) => e.path === 'extensions/secret-sidecar');
    expect(launcher?.mode ?? 0).toBe(0o100755);
    expect(entries.map((e) => e.path)).toContain('secret-sidecar/index.mjs');
    const handlers = staged.filter(
      (f) =>
        f.packaging === 'zip' &&
        /export\s*\{[^}]*\bhandler\b/.test(
          existsSync(join(f.path, 'index.mjs'))
            ? readFileSync(join(f.path, 'index.mjs'), 'utf8')
            : '',
        ),
    );
    expect(handlers).toHaveLength(3);
  });
});
