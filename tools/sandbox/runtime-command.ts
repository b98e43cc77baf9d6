/**
 * Decides how to start the sandbox runtime: the esbuild bundle `dist/sandbox/runtime.mjs`
 * when it is present and not older than the source, else the TypeScript source through tsx.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** argv of the runtime process plus the directory it lives in (`LAMBDA_RUNTIME_DIR`). */
export interface RuntimeCommand {
  readonly argv: readonly string[];
  readonly runtimeDir: string;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Newest modification time of the sandbox's TypeScript sources (the runtime's inputs). */
function newestSource(): number {
  let newest = 0;
  for (const name of readdirSync(here)) {
    if (name.endsWith('.ts')) newest = Math.max(newest, statSync(join(here, name)).mtimeMs);
  }
  return newest;
}

/** The command that runs `sandbox/runtime.ts` (bundled or from source) with this node. */
export function defaultRuntimeCommand(): RuntimeCommand {
  const source = join(here, 'runtime.ts');
  const bundle = resolve(here, '../../dist/sandbox/runtime.mjs');
  const sourceExists = existsSync(source);
  if (existsSync(bundle) && (!sourceExists || statSync(bundle).mtimeMs >= newestSource())) {
    return { argv: [process.execPath, bundle], runtimeDir: dirname(bundle) };
  }
  if (!sourceExists) {
    throw new Error(`neither ${bundle} nor ${source} exists; run make build`);
  }
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return {
    argv: [process.execPath, '--import', pathToFileURL(tsx).href, source],
    runtimeDir: here,
  };
}
