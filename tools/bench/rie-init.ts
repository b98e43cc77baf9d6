/**
 * INIT added to a function by the layer, under AWS's own Runtime Interface Emulator (which
 * initialises on the first invoke): the first invoke's duration with the layer, in each
 * init mode, minus the same without the layer. A Node function, and a Python function that
 * imports a heavy module first (generated: a few thousand functions, compiled on import,
 * as an SDK import would be), with the standalone flavour. Needs what the conformance
 * suite needs (unshare, Go for RIE); without it the phase is skipped, loudly.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS, riePath, runScenario, unavailable } from '../rie/scenario.ts';
import { type Spread, spread } from './stats.ts';
import type { Workspace } from './workspace.ts';

/** Rounds per case. */
export const RIE_ROUNDS = 4;

/** The cases, by name. */
export const RieCase = {
  NodeNoLayer: 'node, no layer',
  NodeBeforeRuntime: 'node, node flavour, before-runtime',
  NodeParallel: 'node, node flavour, parallel',
  PythonNoLayer: 'python + heavy import, no layer',
  PythonBeforeRuntime: 'python + heavy import, standalone, before-runtime',
  PythonParallel: 'python + heavy import, standalone, parallel',
} as const;

/** One of {@link RieCase}. */
export type RieCase = (typeof RieCase)[keyof typeof RieCase];

/** What the phase measured: the first invoke (init + invoke) per case, in ms. */
export interface RieInitPhase {
  readonly firstInvoke: Partial<Record<RieCase, Spread>>;
  /** Why it did not run, when it did not. */
  readonly skipped?: string;
}

/** A module that takes a few hundred ms to import (no .pyc: Lambda's /var/task is read-only). */
function heavyModule(): string {
  const parts: string[] = [];
  for (let i = 0; i < 2500; i++) {
    parts.push(
      `def f${i}(a, b=1, *c, **d):\n    x = [a + b + ${i} for _ in range(3)]\n    return {"k${i}": x, "c": c, "d": d}\n`,
    );
  }
  for (let i = 0; i < 250; i++)
    parts.push(`class C${i}:\n    a = ${i}\n    def m(self, v):\n        return v * ${i}\n`);
  return parts.join('\n');
}

/** Runs every case {@link RIE_ROUNDS} times, round-robin. */
export async function runRieInit(
  ws: Workspace,
  moto: string,
  progress: (line: string) => void,
): Promise<RieInitPhase> {
  const reason = unavailable();
  if (reason !== undefined) return { firstInvoke: {}, skipped: reason };
  const rie = riePath();
  const dir = await mkdtemp(join(tmpdir(), 'bench-rie-'));
  try {
    const heavy = join(dir, 'heavy.py');
    await writeFile(heavy, heavyModule());
    const python = [...FUNCTIONS.python, { name: 'heavy.py', path: heavy }];
    const heavyEnv = { HEAVY_MODULE: '1', PYTHONDONTWRITEBYTECODE: '1' };
    const parallelPython = {
      SECRET_SIDECAR_INIT_MODE: 'parallel',
      INIT_READ: 'http',
      INIT_SECRET_ID: 'provider',
    };
    const cases: Record<RieCase, Parameters<typeof runScenario>[0]> = {
      [RieCase.NodeNoLayer]: { rie, moto, functionFiles: FUNCTIONS.node, hideNode: false, env: {} },
      [RieCase.NodeBeforeRuntime]: {
        rie,
        moto,
        layerDir: ws.nodeLayerDir,
        functionFiles: FUNCTIONS.node,
        hideNode: false,
        env: {},
      },
      [RieCase.NodeParallel]: {
        rie,
        moto,
        layerDir: ws.nodeLayerDir,
        functionFiles: FUNCTIONS.node,
        hideNode: false,
        env: { SECRET_SIDECAR_INIT_MODE: 'parallel' },
      },
      [RieCase.PythonNoLayer]: { rie, moto, functionFiles: python, hideNode: true, env: heavyEnv },
      [RieCase.PythonBeforeRuntime]: {
        rie,
        moto,
        layerDir: ws.standaloneLayerDir,
        functionFiles: python,
        hideNode: true,
        env: heavyEnv,
      },
      [RieCase.PythonParallel]: {
        rie,
        moto,
        layerDir: ws.standaloneLayerDir,
        functionFiles: python,
        hideNode: true,
        env: { ...heavyEnv, ...parallelPython },
      },
    };
    const samples = new Map<RieCase, number[]>();
    for (let round = 0; round < RIE_ROUNDS; round++) {
      for (const [name, spec] of Object.entries(cases) as [RieCase, (typeof cases)[RieCase]][]) {
        const report = await runScenario({ ...spec, initOnly: true });
        const ms = report.timings.firstInvokeRequestMs;
        if (report.error !== undefined || ms === undefined || report.steps.init?.status !== 200) {
          throw new Error(
            `RIE case "${name}" failed: ${report.error ?? JSON.stringify(report.steps.init)}\n${report.output.slice(-10).join('\n')}`,
          );
        }
        samples.set(name, [...(samples.get(name) ?? []), ms]);
      }
      progress(`  RIE round ${round + 1}/${RIE_ROUNDS}`);
    }
    return {
      firstInvoke: Object.fromEntries([...samples].map(([k, v]) => [k, spread(v)])),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
