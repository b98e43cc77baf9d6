/** Small helpers around {@link LambdaSandbox} shared by the bench phases. */
import type { InvokeResult, LambdaSandbox } from '../sandbox/index.ts';

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
