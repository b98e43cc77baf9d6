/**
 * Once per conformance run: one build of both layer flavours (the standalone one for both
 * architectures, zipped, so the arm64 layout can be checked too) into a private directory.
 * Whether AWS's emulator can run here is decided by the suite itself.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildAll } from '../../scripts/build.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    conformanceBuildDir: string;
  }
}

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'secret-sidecar-conformance-'));
  await buildAll({ outDir: dir, zip: true });
  project.provide('conformanceBuildDir', dir);
  return () => rm(dir, { recursive: true, force: true });
}
