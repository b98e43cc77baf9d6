/**
 * The built layer, for integration tests: builds it when missing or older than its
 * sources, then copies it into a private temp "/opt" so a concurrent rebuild of
 * dist/ cannot pull files from under a running test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const BUNDLE = join(ROOT, 'dist/layer/secret-sidecar/index.mjs');
const LAUNCHER = join(ROOT, 'dist/layer/extensions/secret-sidecar');

function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function stale(): boolean {
  if (!existsSync(BUNDLE) || !existsSync(LAUNCHER)) return true;
  const built = Math.min(statSync(BUNDLE).mtimeMs, statSync(LAUNCHER).mtimeMs);
  return newest(join(ROOT, 'extension')) > built || newest(join(ROOT, 'shared')) > built;
}

/** Builds dist/layer if needed; a lock directory keeps parallel test files from building at once. */
function ensureBuilt(): void {
  if (!stale()) return;
  const lock = join(tmpdir(), 'secret-sidecar-build.lock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`build lock ${lock} held for over 60 s`);
      execFileSync('sleep', ['0.2']);
    }
  }
  try {
    if (stale()) {
      execFileSync(process.execPath, ['scripts/build.mjs', '--allow-missing'], {
        cwd: ROOT,
        stdio: 'ignore',
      });
    }
  } finally {
    rmdirSync(lock);
  }
}

/** A private copy of the layer, laid out as Lambda mounts it under /opt. */
export interface LayerCopy {
  /** The "/opt" root. */
  readonly optDir: string;
  /** `<opt>/extensions`, the sandbox's extensionsDir. */
  readonly extensionsDir: string;
  /** `<opt>/extensions/secret-sidecar`. */
  readonly launcher: string;
  remove(): Promise<void>;
}

/** Builds if needed and copies the layer to a new temp directory. */
export async function copyLayer(): Promise<LayerCopy> {
  ensureBuilt();
  const optDir = await mkdtemp(join(tmpdir(), 'sidecar-opt-'));
  const extensionsDir = join(optDir, 'extensions');
  await mkdir(extensionsDir);
  await mkdir(join(optDir, 'secret-sidecar'));
  const launcher = join(extensionsDir, 'secret-sidecar');
  await copyFile(LAUNCHER, launcher);
  await chmod(launcher, 0o755);
  await copyFile(BUNDLE, join(optDir, 'secret-sidecar/index.mjs'));
  return {
    optDir,
    extensionsDir,
    launcher,
    remove: () => rm(optDir, { recursive: true, force: true }),
  };
}
