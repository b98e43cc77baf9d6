/** Small helpers around {@link LambdaSandbox} shared by the bench phases. */
import { join } from 'node:path';
import { freePort } from '../fakes/moto-server.ts';
import { type InvokeResult, LambdaSandbox, type SandboxCredentials } from '../sandbox/index.ts';
import { type FunctionEnvOptions, functionEnv } from './fixture.ts';
import type { Workspace } from './workspace.ts';

/** What varies between the bench's sandboxes, besides {@link FunctionEnvOptions}. */
export interface BenchSandboxOptions extends Omit<FunctionEnvOptions, 'httpPort' | 'secretDir'> {
  /** `index.handler` (lookups) or `noop.handler` (cold start). */
  readonly handler: string;
  /** Folder under the workspace for the extension's secret files. */
  readonly secretFolder: string;
  /** Run the layer's extension. @default true */
  readonly withLayer?: boolean;
  /** Which layer flavour. @default 'node' */
  readonly flavour?: 'node' | 'standalone';
  readonly timeoutMs?: number;
  /** Bound on the init phase (a wrapper such as valgrind needs more). @default the sandbox's */
  readonly initTimeoutMs?: number;
  /** Freeze between invokes, as Lambda does. @default true */
  readonly freeze?: boolean;
  /** The sandbox's credentials (its session token is the extension's SSRF token). */
  readonly credentials?: SandboxCredentials;
  /** More function environment. */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /** The extension's port. @default a free one */
  readonly httpPort?: number;
}

/**
 * A sandbox running the workspace's function code (and the layer's extension unless
 * `withLayer` is false) on a free port, with its own secret folder under the workspace.
 */
export async function benchSandbox(ws: Workspace, o: BenchSandboxOptions): Promise<LambdaSandbox> {
  const {
    handler,
    secretFolder,
    withLayer,
    flavour,
    timeoutMs,
    initTimeoutMs,
    freeze,
    credentials,
    extraEnv,
    httpPort,
    ...env
  } = o;
  const extensionsDir = flavour === 'standalone' ? ws.standaloneExtensionsDir : ws.extensionsDir;
  return new LambdaSandbox({
    ...(withLayer === false ? {} : { extensionsDir }),
    taskRoot: ws.taskRoot,
    handler,
    env: {
      ...functionEnv({
        ...env,
        httpPort: httpPort ?? (await freePort()),
        secretDir: join(ws.dir, secretFolder),
      }),
      ...extraEnv,
    },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(initTimeoutMs === undefined ? {} : { initTimeoutMs }),
    ...(freeze === undefined ? {} : { freeze }),
    ...(credentials === undefined ? {} : { credentials }),
  });
}

/** Invokes and returns the payload, or throws with the error and the last output lines. */
export async function invokeOk(
  sandbox: LambdaSandbox,
  payload: unknown,
  timeoutMs = 60_000,
): Promise<unknown> {
  const result: InvokeResult = await sandbox.invoke(payload, { timeoutMs });
  if (result.status !== 'ok') {
    const tail = sandbox.output
      .slice(-15)
      .map((l) => `  [${l.source}] ${l.line}`)
      .join('\n');
    throw new Error(
      `bench invoke ${JSON.stringify(payload)} ended with ${result.status}: ${JSON.stringify(result.error ?? result.payload)}\n${tail}`,
    );
  }
  return result.payload;
}

/** The pid of the extension process (the launcher `exec`s node, so it is node's pid). */
export function extensionPid(sandbox: LambdaSandbox, name = 'secret-sidecar'): number {
  const found = sandbox.pids().find((p) => p.source === `extension:${name}`);
  if (!found) throw new Error(`extension ${name} is not running in the sandbox`);
  return found.pid;
}
