#!/usr/bin/env node
// Bundles every deployable and dev-tool entry point with esbuild into dist/,
// then zips the Lambda layer with exec bits preserved.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** ESM bundles need a real `require` for the CommonJS parts of their dependencies. */
const banner = {
  js: "import { createRequire as __ssCreateRequire } from 'node:module'; const require = __ssCreateRequire(import.meta.url);",
};

const entries = [
  // The extension: one file, AWS SDK included, minified to keep the layer small.
  { in: 'extension/main.ts', out: 'layer/secret-sidecar/index.mjs', minify: true },
  // Lambda functions (the AWS SDK is bundled too, so the exact tested version ships).
  { in: 'rotation/index.ts', out: 'rotation/index.mjs' },
  { in: 'inference/index.ts', out: 'inference/index.mjs' },
  { in: 'inference/stream.ts', out: 'inference-stream/index.mjs' },
  // The client library for any Node Lambda author (`secret-sidecar/client`).
  { in: 'inference/client-index.ts', out: 'client/index.mjs' },
  // Dev tool: the runtime loop the local Lambda sandbox runs handlers in.
  { in: 'sandbox/runtime.ts', out: 'sandbox/runtime.mjs' },
];

const strict = !process.argv.includes('--allow-missing');
rmSync(dist, { recursive: true, force: true });

for (const e of entries) {
  const src = join(root, e.in);
  if (!existsSync(src)) {
    if (strict) throw new Error(`build entry ${e.in} is missing`);
    console.warn(`skip ${e.in} (missing)`);
    continue;
  }
  await build({
    entryPoints: [src],
    outfile: join(dist, e.out),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: e.minify ?? false,
    sourcemap: false,
    legalComments: 'none',
    banner,
    logLevel: 'warning',
  });
}

// Layer: extensions/<name> launcher + <name>/index.mjs bundle.
const launcherSrc = join(root, 'extension/bin/secret-sidecar');
if (existsSync(launcherSrc)) {
  const launcher = join(dist, 'layer/extensions/secret-sidecar');
  mkdirSync(dirname(launcher), { recursive: true });
  copyFileSync(launcherSrc, launcher);
  chmodSync(launcher, 0o755);
  const zip = join(dist, 'secret-sidecar-layer.zip');
  // python3's zipfile stores each file's mode, so the launcher stays executable.
  execFileSync('python3', ['-m', 'zipfile', '-c', zip, 'extensions', 'secret-sidecar'], {
    cwd: join(dist, 'layer'),
    stdio: 'inherit',
  });
  console.log(`layer zip: ${statSync(zip).size} bytes`);
} else if (strict) {
  throw new Error('extension/bin/secret-sidecar is missing');
}
