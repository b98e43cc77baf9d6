/**
 * Start-up and expiry, next to AWS's agent: spawn → first 200 of each flavour of the
 * extension and of the agent, in fresh processes, round-robin; the standalone flavour also
 * with Node's compile cache warmed (an option measured, not shipped); then the first read
 * after the TTL ran out, with both caching for 1 s.
 */
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { get, type HttpTarget } from './http-load.ts';
import { startAgent } from './peer-processes.ts';
import { startExtension } from './peers.ts';
import { type Spread, spread } from './stats.ts';
import type { Workspace } from './workspace.ts';

/** Fresh start-ups per variant, and timed reads after expiry per server. */
export const STARTUP_PLAN = { rounds: 5, expiryReads: 8, ttlSeconds: 1 } as const;

/** What the phase measured (ms). */
export interface StartupPhase {
  /** Spawn → first 200, per variant (`node`, `standalone`, `standalone-compile-cache`, `agent`). */
  readonly firstOk: Readonly<Record<string, Spread>>;
  /** The first read after the TTL ran out, per server (`node`, `agent`). */
  readonly afterExpiry: Readonly<Record<string, Spread>>;
}

/** Runs the phase; without `agentBin` the agent's rows are missing. */
export async function runStartup(
  ws: Workspace,
  endpoint: string,
  agentBin: string | undefined,
  progress: (line: string) => void,
): Promise<StartupPhase> {
  const compileCache = join(ws.dir, 'compile-cache');
  const variants: Record<string, () => Promise<{ startMs: number; stop(): Promise<void> }>> = {
    node: () => startExtension(ws, endpoint, 'node', { folder: 'start-node' }),
    standalone: () => startExtension(ws, endpoint, 'standalone', { folder: 'start-standalone' }),
    'standalone-compile-cache': () =>
      startExtension(ws, endpoint, 'standalone', {
        folder: 'start-standalone-cc',
        extraEnv: { NODE_COMPILE_CACHE: compileCache },
      }),
    ...(agentBin === undefined
      ? {}
      : {
          agent: () =>
            startAgent({
              bin: agentBin,
              endpoint,
              token: randomBytes(32).toString('base64url'),
              ttlSeconds: 300,
            }),
        }),
  };
  // One untimed start fills the compile cache.
  await (await variants['standalone-compile-cache']?.())?.stop();
  const samples = new Map<string, number[]>();
  for (let round = 0; round < STARTUP_PLAN.rounds; round++) {
    for (const [name, start] of Object.entries(variants)) {
      const s = await start();
      await s.stop();
      samples.set(name, [...(samples.get(name) ?? []), s.startMs]);
    }
    progress(`  start-up round ${round + 1}/${STARTUP_PLAN.rounds}`);
  }
  const firstOk = Object.fromEntries([...samples].map(([k, v]) => [k, spread(v)]));

  const afterExpiry: Record<string, Spread> = {};
  const node = await startExtension(ws, endpoint, 'node', {
    folder: 'expiry-node',
    ttlSeconds: STARTUP_PLAN.ttlSeconds,
  });
  try {
    afterExpiry.node = spread(await readsAfterExpiry(node.target));
  } finally {
    await node.stop();
  }
  if (agentBin !== undefined) {
    const agent = await startAgent({
      bin: agentBin,
      endpoint,
      token: randomBytes(32).toString('base64url'),
      ttlSeconds: STARTUP_PLAN.ttlSeconds,
    });
    try {
      afterExpiry.agent = spread(await readsAfterExpiry(agent.target));
    } finally {
      await agent.stop();
    }
  }
  progress('  reads after expiry done');
  return { firstOk, afterExpiry };
}

/** One warm read, then each timed read after the TTL (plus a margin) has passed: ms each. */
async function readsAfterExpiry(target: HttpTarget): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await get(target, agent);
    const out: number[] = [];
    for (let i = 0; i < STARTUP_PLAN.expiryReads; i++) {
      await new Promise((r) => setTimeout(r, STARTUP_PLAN.ttlSeconds * 1000 + 300));
      const t0 = performance.now();
      const status = await get(target, agent);
      out.push(performance.now() - t0);
      if (status !== 200) throw new Error(`read after expiry answered ${status}`);
    }
    return out;
  } finally {
    agent.destroy();
  }
}
