/**
 * Once per test run: one moto_server (each test uses unique names) and one build of
 * every bundle into a private directory, so tests run the real artifacts and a
 * concurrent `make build` can never change them mid-run.
 * Tests read them with `inject('motoEndpoint')` / `inject('buildDir')` (see helpers/build.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildAll } from '../scripts/build.ts';
import { startMoto } from '../tools/fakes/moto-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
    buildDir: string;
  }
}

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const buildDir = await mkdtemp(join(tmpdir(), 'secret-sidecar-build-'));
  const [moto] = await Promise.all([
    startMoto(),
    buildAll({ outDir: buildDir, zip: false, standalone: [] }),
  ]);
  project.provide('motoEndpoint', moto.endpoint);
  project.provide('buildDir', buildDir);
  return async () => {
    await moto.stop();
    await rm(buildDir, { recursive: true, force: true });
  };
}
