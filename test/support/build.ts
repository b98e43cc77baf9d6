/** The bundles built once for this test run by test/global-setup.ts. */
import { inject } from 'vitest';
import { buildPaths } from '../../scripts/build.ts';

/** Paths of this run's build, plus the argv that starts the sandbox's bundled runtime. */
export function built() {
  const paths = buildPaths(inject('buildDir'));
  return { ...paths, runtimeCommand: [process.execPath, paths.runtime] as const };
}
