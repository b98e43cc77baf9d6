/**
 * Bundles a test function (TypeScript, importing `@secret-sidecar/client` as a user would)
 * into a new temp task root with esbuild, the way a user's build would, and returns it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_CONDITIONS, ROOT } from '../../scripts/build.ts';

/** A bundled task root; `remove()` deletes it. */
export interface BundledFunction {
  readonly taskRoot: string;
  remove(): Promise<void>;
}

/** Bundles `test/support/functions/<name>.ts` to `<taskRoot>/index.mjs`. */
export async function bundleFunction(name: string): Promise<BundledFunction> {
  const taskRoot = await mkdtemp(join(tmpdir(), `fn-${name}-`));
  await build({
    entryPoints: [join(ROOT, 'test/support/functions', `${name}.ts`)],
    outfile: join(taskRoot, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: [...BUNDLE_CONDITIONS],
    logLevel: 'warning',
  });
  return { taskRoot, remove: () => rm(taskRoot, { recursive: true, force: true }) };
}
