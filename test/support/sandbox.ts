/**
 * Fixtures for sandbox tests: temp task roots with handler modules, and extensions written
 * as small executable Node scripts that speak the Extensions API over node:http.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaSandbox, type SandboxOptions } from '../../tools/sandbox/index.ts';
import { schedulerState } from '../../tools/sandbox/process-group.ts';

/**
 * CommonJS prelude (extensionless files are CommonJS on Node 20) with the helpers every
 * test extension script gets:
 * `api(method, path, {headers, body})`, `register(events)`, `next()`, `id`, `NAME`.
 */
const EXTENSION_PRELUDE = `#!/usr/bin/env node
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const NAME = path.basename(process.argv[1]);
const [HOST, PORT] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
let id = '';
function api(method, p, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: Number(PORT), method, path: '/2020-01-01/extension' + p, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
async function register(events, name = NAME) {
  const res = await api('POST', '/register', { headers: { 'Lambda-Extension-Name': name }, body: { events } });
  if (res.status !== 200) throw new Error('register failed ' + res.status + ' ' + res.text);
  id = res.headers['lambda-extension-identifier'];
  return res;
}
async function next() {
  const res = await api('GET', '/event/next', { headers: { 'Lambda-Extension-Identifier': id } });
  if (res.status !== 200) throw new Error('next failed ' + res.status + ' ' + res.text);
  return res.json;
}
`;

/** A temp directory tree for one test: `ext/` (extensions), `task/` (function code), `work/`. */
export class Fixture {
  readonly root: string;
  readonly extensionsDir: string;
  readonly taskRoot: string;
  /** Scratch directory processes and the test share (like Lambda's /tmp). */
  readonly workDir: string;
  readonly #sandboxes: LambdaSandbox[] = [];

  private constructor(root: string) {
    this.root = root;
    this.extensionsDir = join(root, 'ext');
    this.taskRoot = join(root, 'task');
    this.workDir = join(root, 'work');
  }

  static async create(): Promise<Fixture> {
    const root = await mkdtemp(join(tmpdir(), 'sandbox-test-'));
    const fixture = new Fixture(root);
    const { mkdir } = await import('node:fs/promises');
    await Promise.all(
      [fixture.extensionsDir, fixture.taskRoot, fixture.workDir].map((d) => mkdir(d)),
    );
    return fixture;
  }

  /** {@link Fixture.create} with {@link ECHO_HANDLER} as `index.handler`. */
  static async createWithEchoHandler(): Promise<Fixture> {
    const fixture = await Fixture.create();
    await fixture.handler('index.mjs', ECHO_HANDLER);
    return fixture;
  }

  /** Writes an executable extension `name` whose body runs after the helper prelude. */
  async extension(name: string, body: string, mode = 0o755): Promise<string> {
    const path = join(this.extensionsDir, name);
    const main = `(async () => {\n${body}\n})().catch((err) => { console.error(err); process.exit(1); });\n`;
    await writeFile(path, `${EXTENSION_PRELUDE}\n${main}`);
    await chmod(path, mode);
    return path;
  }

  /** Writes a raw executable file (e.g. a bash script) into the extensions directory. */
  async rawExtension(name: string, content: string, mode = 0o755): Promise<string> {
    const path = join(this.extensionsDir, name);
    await writeFile(path, content);
    await chmod(path, mode);
    return path;
  }

  /** Writes a handler module into the task root. */
  async handler(file: string, source: string): Promise<void> {
    await writeFile(join(this.taskRoot, file), source);
  }

  /** A file in the shared work dir. */
  work(name: string): string {
    return join(this.workDir, name);
  }

  async readWork(name: string): Promise<string> {
    return readFile(this.work(name), 'utf8');
  }

  /** Creates a sandbox that {@link cleanup} shuts down. WORK_DIR is in its env. */
  sandbox(options: Partial<SandboxOptions> = {}): LambdaSandbox {
    const sandbox = new LambdaSandbox({
      extensionsDir: this.extensionsDir,
      taskRoot: this.taskRoot,
      handler: 'index.handler',
      ...options,
      env: { WORK_DIR: this.workDir, ...options.env },
    });
    this.#sandboxes.push(sandbox);
    return sandbox;
  }

  /** Shuts every sandbox down (killing every process) and removes the temp tree. */
  async cleanup(): Promise<void> {
    await Promise.allSettled(this.#sandboxes.map((s) => s.shutdown()));
    await rm(this.root, { recursive: true, force: true });
  }
}

/** The one-letter scheduler state of `pid` from /proc (`T` = stopped), or undefined if gone. */
export const processState = schedulerState;

/** True if a process with `pid` exists (zombies count as gone). */
export async function isRunning(pid: number): Promise<boolean> {
  const state = await processState(pid);
  return state !== undefined && state !== 'Z';
}

/** Polls `check` every 20 ms until it holds or `ms` pass. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 5000,
): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A handler module that echoes the event. */
export const ECHO_HANDLER = `export const handler = async (event, context) => ({ echo: event, requestId: context.awsRequestId });\n`;

/** An extension body that registers for `events` and acknowledges every event. */
export function ackExtension(events: string[]): string {
  return `
await register(${JSON.stringify(events)});
for (;;) {
  const event = await next();
  if (event.eventType === 'SHUTDOWN') process.exit(0);
}
`;
}
