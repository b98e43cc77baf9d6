/** Small helpers around {@link LambdaSandbox} shared by the bench phases. */
import { join } from 'node:path';
import { freePort } from '../fakes/moto-server.ts';
import { type InvokeResult, LambdaSandbox } from '../sandbox/index.ts';
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
  readonly timeoutMs?: number;
}

/**
 * A sandbox running the workspace's function code (and the layer's extension unless
 * `withLayer` is false) on a free port, with its own secret folder under the workspace.
 */
export async function benchSandbox(ws: Workspace, o: BenchSandboxOptions): Promise<LambdaSandbox> {
  const { handler, secretFolder, withLayer, timeoutMs, ...env } = o;
  return new LambdaSandbox({
    ...(withLayer === false ? {} : { extensionsDir: ws.extensionsDir }),
    taskRoot: ws.taskRoot,
    handler,
    env: functionEnv({
      ...env,
      httpPort: await freePort(),
      secretDir: join(ws.dir, secretFolder),
    }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
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
