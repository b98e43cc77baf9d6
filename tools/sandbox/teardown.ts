/**
 * Shutdown of one execution environment, with Lambda's budget: the runtime gets SIGTERM and
 * up to 300 ms (a reset after a timeout or failure kills it at once), then every
 * SHUTDOWN-subscribed extension gets the SHUTDOWN event; whatever is still alive at the
 * deadline is SIGKILLed, and so is every extension that did not subscribe to SHUTDOWN. An
 * extension that reported init/exit error gets no event but the same deadline to exit.
 */
import { ExtensionEvent } from './extension-registry.ts';
import type { Generation } from './generation.ts';
import type { ProcessGroup } from './process-group.ts';
import type { ProcessExitReport, SandboxFailure, ShutdownReport } from './types.ts';

/** The runtime's share of the shutdown budget after SIGTERM. */
export const RUNTIME_SIGTERM_SHARE_MS = 300;

/** Shutdown reasons as Lambda sends them in the SHUTDOWN event. */
export const ShutdownReason = {
  Spindown: 'spindown',
  Timeout: 'timeout',
  Failure: 'failure',
} as const;

async function whenAll(processes: ProcessGroup[], deadline: number): Promise<void> {
  await Promise.all(processes.map((p) => p.waitExit(deadline - Date.now())));
}

/**
 * Tears `gen` down within `budgetMs`. `failuresSince` lists failures recorded from the start
 * of the teardown (e.g. `exit/error` reports), for the report.
 */
export async function teardown(
  gen: Generation,
  reason: string,
  budgetMs: number,
  failuresSince: () => readonly SandboxFailure[],
): Promise<ShutdownReport> {
  const startedAt = Date.now();
  const deadline = startedAt + budgetMs;
  gen.beginTeardown();
  const killedAtDeadline = new Set<ProcessGroup>();
  for (const p of gen.liveProcesses()) p.thaw();

  const runtime = gen.runtime;
  if (runtime?.alive) {
    if (reason === ShutdownReason.Spindown) {
      runtime.terminate();
      const share = Math.min(RUNTIME_SIGTERM_SHARE_MS, deadline - Date.now());
      if (!(await runtime.waitExit(share))) {
        killedAtDeadline.add(runtime);
        await runtime.kill();
      }
    } else {
      await runtime.kill();
    }
  }

  const subscribed = new Set(gen.subscribers(ExtensionEvent.Shutdown).map((r) => r.name));
  const listening: ProcessGroup[] = [];
  const event = {
    body: JSON.stringify({ eventType: 'SHUTDOWN', deadlineMs: deadline, shutdownReason: reason }),
    headers: { 'Content-Type': 'application/json' },
  };
  for (const [name, process] of gen.extensions) {
    const registration = gen.registry.byName(name);
    if (!process.alive || !registration) continue;
    if (registration.errored) {
      // It reported init/exit error and is expected to exit by itself: no event, same deadline.
      listening.push(process);
    } else if (subscribed.has(name)) {
      registration.agent.enqueue(event);
      listening.push(process);
    }
  }
  await whenAll(listening, deadline);
  for (const p of gen.liveProcesses()) {
    if (listening.includes(p) || p === runtime) killedAtDeadline.add(p);
  }
  await Promise.all(gen.liveProcesses().map((p) => p.kill()));
  gen.runtimeAgent.clear();
  for (const r of gen.registry.all()) r.agent.clear();

  const report = (name: string, p: ProcessGroup): ProcessExitReport => {
    const exit = p.exit;
    return {
      name,
      pid: p.pid,
      exitCode: exit?.code ?? null,
      signal: exit?.signal ?? null,
      durationMs: Math.max(0, (exit?.time ?? Date.now()) - startedAt),
      withinDeadline: !killedAtDeadline.has(p),
    };
  };
  const extensions = [...gen.extensions].map(([name, p]) => report(name, p));
  const problems: string[] = [];
  for (const e of extensions) {
    if (killedAtDeadline.has(gen.extensions.get(e.name) as ProcessGroup)) {
      problems.push(`extension "${e.name}" was still running at the deadline and was SIGKILLed`);
    } else if (e.exitCode !== null && e.exitCode !== 0) {
      problems.push(`extension "${e.name}" exited with code ${e.exitCode}`);
    }
  }
  if (runtime && killedAtDeadline.has(runtime)) {
    problems.push('the runtime ignored SIGTERM and was SIGKILLed');
  }
  for (const f of failuresSince()) problems.push(`${f.source}: ${f.errorType}: ${f.message}`);
  return {
    reason,
    durationMs: Date.now() - startedAt,
    extensions,
    ...(runtime ? { runtime: report('runtime', runtime) } : {}),
    problems,
  };
}
