/**
 * Runs a conformance scenario (tools/rie/runner.ts) in a private mount and network
 * namespace, and says whether this machine can: it needs `unshare` with mount and network
 * namespaces, and AWS's Runtime Interface Emulator (scripts/ensure-rie.sh installs it with
 * the Go toolchain, pinned, into `.cache/bin`).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** What one scenario runs. */
export interface ScenarioSpec {
  /** Path of `aws-lambda-rie`. */
  readonly rie: string;
  /** Path of `moto_server`. */
  readonly moto: string;
  /** A built layer tree (`extensions/`, `secret-sidecar/`); none = a function without the layer. */
  readonly layerDir?: string;
  /** The function: `bootstrap` and its handler, copied to the task root. */
  readonly functionFiles: readonly { readonly name: string; readonly path: string }[];
  /** Cover every `node` on the Lambda PATH (a Python runtime has none). */
  readonly hideNode: boolean;
  /** Extra function environment. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Only the first invoke (RIE initialises on it), timed, then SIGTERM: what `make bench`
   * measures. @default false (the whole conformance scenario)
   */
  readonly initOnly?: boolean;
}

/** What a scenario observed. */
export interface ScenarioReport {
  steps: Record<string, { status: number; body: unknown }>;
  /** Every line RIE, the runtime and the extension printed. */
  output: string[];
  timings: {
    /** RIE spawn → the first invoke answered. */
    firstInvokeMs?: number;
    /** The first invoke request alone: init (extensions, runtime) plus the invoke. */
    firstInvokeRequestMs?: number;
  };
  shutdown?: { code: number | null; signal: string | null; ms: number };
  expected?: { first: string; second: string };
  /** Values that must appear in no output line. */
  canaries?: string[];
  error?: string;
}

/** The function files of each runtime the suite runs. */
export const FUNCTIONS = {
  python: ['bootstrap', 'handler.py'].map((name) => ({
    name,
    path: join(ROOT, 'tools/rie/functions/python', name),
  })),
  node: ['bootstrap', 'handler.mjs'].map((name) => ({
    name,
    path: join(ROOT, 'tools/rie/functions/node', name),
  })),
} as const;

/** Why conformance tests cannot run here, or undefined when they can. */
export function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (spawnSync('unshare', ['--mount', '--net', '--propagation', 'private', 'true']).status !== 0) {
    return 'unshare --mount --net is not permitted here (needs root or user namespaces)';
  }
  const rie = spawnSync(join(ROOT, 'scripts/ensure-rie.sh'), { encoding: 'utf8' });
  if (rie.status !== 0) return `aws-lambda-rie is not available: ${rie.stderr.trim()}`;
  return undefined;
}

/** The path of aws-lambda-rie (installing it on first use). */
export function riePath(): string {
  return execFileSync(join(ROOT, 'scripts/ensure-rie.sh'), { encoding: 'utf8' }).trim();
}

/** Runs `spec` in its own namespaces and returns its report. */
export async function runScenario(spec: ScenarioSpec, timeoutMs = 90_000): Promise<ScenarioReport> {
  const dir = await mkdtemp(join(tmpdir(), 'rie-scenario-'));
  try {
    const file = join(dir, 'spec.json');
    await writeFile(file, JSON.stringify(spec));
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--net',
        '--propagation',
        'private',
        '--fork',
        process.execPath,
        '--import',
        'tsx',
        join(ROOT, 'tools/rie/runner.ts'),
        file,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-4_000);
    });
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // gone
      }
    }, timeoutMs);
    await once(child, 'exit');
    clearTimeout(timer);
    const last = stdout.trim().split('\n').at(-1) ?? '';
    try {
      return JSON.parse(last) as ScenarioReport;
    } catch {
      throw new Error(`the scenario printed no report; stderr: ${stderr}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
