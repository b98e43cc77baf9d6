/**
 * Runs one conformance scenario under AWS's Runtime Interface Emulator. It must be started
 * inside a private mount and network namespace (tools/rie/scenario.ts does so with
 * `unshare --mount --net --propagation private`), where it:
 *
 *  1. brings up loopback (the namespace has no other interface);
 *  2. mounts tmpfs over /opt and puts the layer there exactly as a container image's two
 *     `COPY` lines would (`extensions/` and `secret-sidecar/`), then tmpfs over /tmp; a
 *     checkout that itself lies under /tmp (a fresh clone in a temporary folder) stays
 *     visible at its path, bind-mounted back, since the runner and moto still need it;
 *  3. optionally hides the host's `node` (a Python runtime has none);
 *  4. starts moto, seeds a secret, starts RIE with the function's bootstrap and a
 *     Lambda-like PATH, and drives the scenario's invocations;
 *  5. sends SIGTERM to RIE and times its exit.
 *
 * The host's folders are never touched. Its report is the last line of stdout, as JSON.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { cp, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { LAMBDA_PATH } from '../sandbox/environment.ts';
import type { ScenarioReport, ScenarioSpec } from './scenario.ts';

const MOTO_PORT = 5000;
const RIE_ADDRESS = '127.0.0.1:8080';
const SECRET_ID = 'conformance/provider';

async function main(): Promise<void> {
  const spec = JSON.parse(await readFile(process.argv[2] ?? '', 'utf8')) as ScenarioSpec;
  const report: ScenarioReport = { steps: {}, output: [], timings: {} };
  const children: ChildProcess[] = [];
  try {
    await prepareFilesystem(spec);
    const moto = await startMoto(spec.moto, children);
    const token = randomBytes(48).toString('base64');
    const values = {
      first: `CANARY-${randomBytes(8).toString('hex')}`,
      second: `CANARY-${randomBytes(8).toString('hex')}`,
    };
    report.canaries = [values.first, values.second, token];
    const sm = new SecretsManagerClient({
      endpoint: moto,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    await sm.send(new CreateSecretCommand({ Name: SECRET_ID, SecretString: values.first }));

    const started = performance.now();
    const rie = spawn(
      spec.rie,
      ['--runtime-interface-emulator-address', RIE_ADDRESS, '/tmp/task/bootstrap'],
      {
        cwd: '/tmp/task',
        env: {
          PATH: LAMBDA_PATH,
          HOME: '/tmp',
          LANG: 'C.UTF-8',
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_SESSION_TOKEN: token,
          AWS_REGION: 'us-east-1',
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_LAMBDA_FUNCTION_NAME: 'conformance',
          AWS_ENDPOINT_URL: moto,
          SECRET_SIDECAR_SECRETS: `provider=${SECRET_ID}`,
          SECRET_SIDECAR_TTL_SECONDS: '2',
          INIT_FILE: 'provider.json',
          ...spec.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    children.push(rie);
    for (const stream of [rie.stdout, rie.stderr]) {
      let rest = '';
      stream?.on('data', (d: Buffer) => {
        const text = rest + d.toString('utf8');
        const lines = text.split('\n');
        rest = lines.pop() ?? '';
        report.output.push(...lines);
      });
    }
    const exited = once(rie, 'exit');
    await waitForPort(RIE_ADDRESS);

    // RIE initialises on the first invoke: registration, prefetch, the runtime's init.
    const requested = performance.now();
    const init = await invoke({ op: 'init' });
    report.timings.firstInvokeRequestMs = performance.now() - requested;
    report.timings.firstInvokeMs = Math.round(performance.now() - started);
    report.steps.init = init;
    if (init.status === 200 && !spec.initOnly) {
      report.steps.good = await invoke({ op: 'http', token: 'good', secretId: 'provider' });
      report.steps.none = await invoke({ op: 'http', token: 'none', secretId: 'provider' });
      report.steps.wrong = await invoke({ op: 'http', token: 'wrong', secretId: 'provider' });
      await sm.send(
        new PutSecretValueCommand({ SecretId: SECRET_ID, SecretString: values.second }),
      );
      await new Promise((r) => setTimeout(r, 2_500));
      report.steps.rotated = await invoke({ op: 'http', token: 'good', secretId: 'provider' });
    }
    const term = performance.now();
    rie.kill('SIGTERM');
    const [code, signal] = (await Promise.race([
      exited,
      new Promise((r) => setTimeout(() => r([null, 'still running after 5 s']), 5_000)),
    ])) as [number | null, string | null];
    report.shutdown = { code, signal, ms: Math.round(performance.now() - term) };
    report.expected = values;
    sm.destroy();
  } catch (err) {
    report.error = err instanceof Error ? err.message : String(err);
  } finally {
    for (const c of children) {
      try {
        process.kill(-(c.pid ?? 0), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

async function prepareFilesystem(spec: ScenarioSpec): Promise<void> {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  // Read what lives in the host's /tmp before a tmpfs hides it.
  const layer = spec.layerDir;
  const staged = '/opt';
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', staged]);
  if (layer !== undefined) {
    // The container-image layout: COPY <layer>/extensions/ /opt/extensions/ and
    // COPY <layer>/secret-sidecar/ /opt/secret-sidecar/.
    await cp(join(layer, 'extensions'), join(staged, 'extensions'), { recursive: true });
    await cp(join(layer, 'secret-sidecar'), join(staged, 'secret-sidecar'), { recursive: true });
  }
  const fn = new Map<string, Buffer>();
  for (const file of spec.functionFiles) fn.set(file.name, await readFile(file.path));
  const keep = hostPathsUnderTmp(spec);
  const hold = join(staged, '.host-tmp');
  if (keep.length > 0) {
    await mkdir(hold);
    execFileSync('mount', ['--bind', '/tmp', hold]);
  }
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=1777', 'tmpfs', '/tmp']);
  for (const path of keep) {
    await mkdir(path, { recursive: true });
    execFileSync('mount', ['--bind', join(hold, relative('/tmp', path)), path]);
  }
  if (keep.length > 0) {
    execFileSync('umount', [hold]);
    await rmdir(hold);
  }
  await mkdir('/tmp/task', { recursive: true });
  for (const [name, bytes] of fn) await writeFile(join('/tmp/task', name), bytes, { mode: 0o755 });
  if (spec.hideNode) {
    // A Python runtime has no node: cover every node on the Lambda PATH with an empty file.
    await writeFile('/tmp/.no-node', '', { mode: 0o644 });
    for (const dir of LAMBDA_PATH.split(':')) {
      const candidate = join(dir, 'node');
      try {
        execFileSync('test', ['-e', candidate]);
        execFileSync('mount', ['--bind', '/tmp/.no-node', candidate]);
      } catch {
        // not there
      }
    }
  }
}

/**
 * Host paths under /tmp that must stay reachable once a tmpfs covers /tmp: the checkout the
 * runner runs from (its modules, caches and, via the working directory, pyenv's shims) and
 * the folders of the RIE and moto binaries. Nested paths are kept once, by the outermost.
 */
function hostPathsUnderTmp(spec: ScenarioSpec): string[] {
  const under = [process.cwd(), dirname(resolve(spec.rie)), dirname(resolve(spec.moto))].filter(
    (p) => p.startsWith('/tmp/'),
  );
  return [...new Set(under)].filter((p) => !under.some((o) => o !== p && p.startsWith(`${o}/`)));
}

async function startMoto(bin: string, children: ChildProcess[]): Promise<string> {
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(MOTO_PORT)], {
    stdio: 'ignore',
    detached: true,
    env: { ...process.env, TMPDIR: '/tmp' },
  });
  children.push(child);
  const endpoint = `http://127.0.0.1:${MOTO_PORT}`;
  await waitForPort(`127.0.0.1:${MOTO_PORT}`, 30_000);
  return endpoint;
}

async function waitForPort(address: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await fetch(`http://${address}/`);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`nothing listens on ${address}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function invoke(event: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://${RIE_ADDRESS}/2015-03-31/functions/function/invocations`, {
    method: 'POST',
    body: JSON.stringify(event),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // RIE answers an init failure with an empty body
  }
  return { status: res.status, body };
}

await main();
