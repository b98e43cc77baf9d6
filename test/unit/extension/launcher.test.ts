/**
 * The layer's launcher, run under dash (a POSIX sh without bash's extensions, as minimal
 * images have), with a fake `node` that reports what it was started with and a fake
 * Extensions API on port 0 that records what the launcher reports.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../../scripts/build.ts';

const LAUNCHER = join(ROOT, 'extension/bin/secret-sidecar');
/** An absolute path: the PATH the launcher gets has no shell in it. */
const dash =
  spawnSync('sh', ['-c', 'command -v dash || command -v sh'], { encoding: 'utf8' }).stdout.trim() ||
  '/bin/sh';

/** A fake node: prints its version, or the environment and arguments it was started with. */
function fakeNode(path: string, version: string): void {
  writeFileSync(
    path,
    `#!/bin/sh\nif [ "$1" = --version ]; then echo ${version}; exit 0; fi\necho "node=$0 NODE_OPTIONS=\${NODE_OPTIONS-unset} NODE_PATH=\${NODE_PATH-unset} ID=\${SECRET_SIDECAR_EXTENSION_ID-unset} args=$*"\n`,
  );
  chmodSync(path, 0o755);
}

interface Reported {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let api: Server;
let apiAddress: string;
const reported: Reported[] = [];
let work: string;

beforeAll(async () => {
  api = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      reported.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(req.url?.endsWith('/register') ? 200 : 202, {
        'Lambda-Extension-Identifier': 'c0ffee00-0000-4000-8000-000000000001',
        'content-type': 'application/json',
      });
      res.end('{}');
    });
  });
  api.listen(0, '127.0.0.1');
  await once(api, 'listening');
  apiAddress = `127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
  api.close();
  await once(api, 'close');
});

beforeEach(() => {
  reported.length = 0;
  work = mkdtempSync(join(tmpdir(), 'launcher-'));
  return () => rmSync(work, { recursive: true, force: true });
});

/** Lays out /opt-like `extensions/secret-sidecar` and `secret-sidecar/` under the work dir. */
function layer(options: { bundledNode?: string } = {}): string {
  mkdirSync(join(work, 'opt/extensions'), { recursive: true });
  mkdirSync(join(work, 'opt/secret-sidecar'), { recursive: true });
  copyFileSync(LAUNCHER, join(work, 'opt/extensions/secret-sidecar'));
  chmodSync(join(work, 'opt/extensions/secret-sidecar'), 0o755);
  if (options.bundledNode) {
    mkdirSync(join(work, 'opt/secret-sidecar/bin'));
    fakeNode(join(work, 'opt/secret-sidecar/bin/node'), options.bundledNode);
  }
  return join(work, 'opt/extensions/secret-sidecar');
}

/**
 * A PATH with `bin` (where a test puts its fake node, or none) and the few tools the
 * launcher uses, but not this machine's own node.
 */
function path(): string {
  const tools = join(work, 'tools');
  mkdirSync(tools, { recursive: true });
  mkdirSync(join(work, 'bin'), { recursive: true });
  for (const tool of ['sed', 'tr', 'readlink', 'curl']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found) symlinkSync(found, join(tools, tool));
  }
  return `${join(work, 'bin')}:${tools}`;
}

/** Runs the launcher with PATH `p` (asynchronously: the fake API answers from this process). */
async function runWith(launcher: string, p: string, env: Record<string, string> = {}) {
  const child = spawn(dash, [launcher], {
    env: {
      PATH: p,
      AWS_LAMBDA_RUNTIME_API: apiAddress,
      NODE_OPTIONS: '--require /var/task/hook.js',
      NODE_PATH: '/var/task/node_modules',
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const [status] = (await once(child, 'exit')) as [number | null];
  return { status, stdout, stderr };
}

describe('the launcher, under dash', () => {
  it('prefers the bundled node of the standalone flavour over any node on PATH', async () => {
    const launcher = layer({ bundledNode: 'v22.23.5' });
    const p = path();
    fakeNode(join(work, 'bin/node'), 'v24.1.0');
    const out = await runWith(launcher, p);
    expect(out.stdout).toContain(`node=${work}/opt/extensions/../secret-sidecar/bin/node`);
  });

  it("uses the runtime's node when there is no bundled one, without the function's NODE_OPTIONS and NODE_PATH", async () => {
    const launcher = layer();
    const p = path();
    fakeNode(join(work, 'bin/node'), 'v22.11.0');
    const out = await runWith(launcher, p);
    expect(out.stdout).toContain(`node=${join(work, 'bin/node')}`);
    expect(out.stdout).toContain('NODE_OPTIONS=unset NODE_PATH=unset');
    expect(out.stdout).toContain('--name secret-sidecar');
    expect(out.stdout).toContain(`${work}/opt/extensions/../secret-sidecar/index.mjs`);
  });

  it.each([
    ["the runtime's Node 20", undefined, 'v20.19.0', '--max-semi-space-size=1'],
    ["the runtime's Node 22", undefined, 'v22.11.0', '--max-semi-space-size=2'],
    ["the standalone flavour's Node 22", 'v22.23.5', 'v20.19.0', '--max-semi-space-size=2'],
  ])('runs %s with the semi-space measured for it', async (_label, bundled, onPath, flag) => {
    const launcher = layer(bundled === undefined ? {} : { bundledNode: bundled });
    const p = path();
    fakeNode(join(work, 'bin/node'), onPath);
    const out = await runWith(launcher, p);
    expect(out.stdout).toMatch(/args=--no-warnings --max-semi-space-size=\d /);
    expect(out.stdout).toContain(`args=--no-warnings ${flag} `);
  });

  it('registers under its own file name, also when started through a symlink', async () => {
    const launcher = layer();
    const p = path();
    fakeNode(join(work, 'bin/node'), 'v22.11.0');
    symlinkSync(launcher, join(work, 'linked'));
    const out = await runWith(join(work, 'linked'), p);
    expect(out.stdout).toContain('--name linked');
    expect(out.stdout).toContain(`${work}/opt/extensions/../secret-sidecar/index.mjs`);
  });

  it.each([
    ['no node at all', undefined],
    ['a node that is too old', 'v18.19.0'],
    ['Node 20 before 20.18', 'v20.17.0'],
  ])(
    'reports Extension.LaunchError through init/error with %s, naming the flavour to attach',
    async (_, version) => {
      const launcher = layer();
      const p = path();
      if (version) fakeNode(join(work, 'bin/node'), version);
      const out = await runWith(launcher, p);
      expect(out.status).toBe(1);
      expect(out.stderr).toContain('attach the standalone flavour');
      const [register, initError] = reported;
      expect(register).toMatchObject({ path: '/2020-01-01/extension/register' });
      expect(register?.headers['lambda-extension-name']).toBe('secret-sidecar');
      expect(initError?.path).toBe('/2020-01-01/extension/init/error');
      expect(initError?.headers).toMatchObject({
        'lambda-extension-identifier': 'c0ffee00-0000-4000-8000-000000000001',
        'lambda-extension-function-error-type': 'Extension.LaunchError',
      });
      expect(JSON.parse(initError?.body ?? '{}')).toMatchObject({
        errorType: 'Extension.LaunchError',
        errorMessage: expect.stringContaining('secret-sidecar-standalone-x86_64 or -arm64'),
      });
    },
  );

  it('registers itself in the parallel init mode and hands the identifier to the extension', async () => {
    const launcher = layer();
    const p = path();
    fakeNode(join(work, 'bin/node'), 'v22.11.0');
    const out = await runWith(launcher, p, { SECRET_SIDECAR_INIT_MODE: 'parallel' });
    expect(reported).toHaveLength(1);
    expect(reported[0]?.path).toBe('/2020-01-01/extension/register');
    expect(reported[0]?.headers['lambda-extension-name']).toBe('secret-sidecar');
    expect(JSON.parse(reported[0]?.body ?? '{}')).toEqual({ events: ['INVOKE', 'SHUTDOWN'] });
    expect(out.stdout).toContain('ID=c0ffee00-0000-4000-8000-000000000001');
  });

  it.each([
    ['the default init mode', {}],
    [
      'events of its own',
      { SECRET_SIDECAR_INIT_MODE: 'parallel', SECRET_SIDECAR_EVENTS: 'SHUTDOWN' },
    ],
  ])('leaves registration to the extension with %s', async (_, env) => {
    const launcher = layer();
    const p = path();
    fakeNode(join(work, 'bin/node'), 'v22.11.0');
    const out = await runWith(launcher, p, env);
    expect(reported).toEqual([]);
    expect(out.stdout).toContain('ID=unset');
  });

  it("never passes on an identifier from the function's environment", async () => {
    const launcher = layer();
    const p = path();
    fakeNode(join(work, 'bin/node'), 'v22.11.0');
    const out = await runWith(launcher, p, { SECRET_SIDECAR_EXTENSION_ID: 'spoofed' });
    expect(out.stdout).toContain('ID=unset');
  });

  it('is plain POSIX sh: dash parses it', () => {
    expect(spawnSync(dash, ['-n', LAUNCHER]).status).toBe(0);
  });
});
