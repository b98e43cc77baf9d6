/**
 * Start-up and expiry, next to AWS's agent: spawn → first 200 of each flavour of the
 * extension and of the agent, in fresh processes, round-robin; the standalone flavour also
 * with Node's compile cache warmed (an option measured, not shipped); then the first read
 * after the TTL ran out, with both caching for 1 s, interleaved.
 */
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { expect200, type HttpTarget } from './http-load.ts';
import { startAgent } from './peer-processes.ts';
import { startExtension } from './peers.ts';
import { processCpuUs } from './rss.ts';
import { type Spread, spread } from './stats.ts';
import type { Workspace } from './workspace.ts';

/** Fresh start-ups per variant, and timed reads after expiry per server. */
export const STARTUP_PLAN = { rounds: 5, expiryReads: 12, ttlSeconds: 1 } as const;

/** What the phase measured (ms). */
export interface StartupPhase {
  /** Spawn → first 200, per variant (`node`, `standalone`, `standalone-compile-cache`, `agent`). */
  readonly firstOk: Readonly<Record<string, Spread>>;
  /** The first read after the TTL ran out, per server (`node`, `agent`). */
  readonly afterExpiry: Readonly<Record<string, Spread>>;
  /**
   * CPU time (user + system, all threads) each server used per expiry cycle, in ms: one read
   * after expiry and the idle time around it. From `/proc/<pid>/stat`, in 10 ms ticks.
   */
  readonly expiryCpuMs: Readonly<Record<string, number>>;
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

  const expiry = await runExpiry(ws, endpoint, agentBin);
  progress('  reads after expiry done');
  return { firstOk, ...expiry };
}

/** A server the expiry reads go to. */
interface ExpiryServer {
  readonly name: string;
  readonly pid: number;
  readonly target: HttpTarget;
  stop(): Promise<void>;
}

/**
 * The extension and the agent side by side, both caching for the same TTL: each cycle waits
 * the TTL plus a margin, then reads from both (the order alternating), each over its own
 * kept-alive connection. CPU is each process's own, over all the cycles.
 */
async function runExpiry(
  ws: Workspace,
  endpoint: string,
  agentBin: string | undefined,
): Promise<Pick<StartupPhase, 'afterExpiry' | 'expiryCpuMs'>> {
  const servers: ExpiryServer[] = [];
  const agents: Agent[] = [];
  try {
    const node = await startExtension(ws, endpoint, 'node', {
      folder: 'expiry-node',
      ttlSeconds: STARTUP_PLAN.ttlSeconds,
    });
    servers.push({ name: 'node', ...node });
    if (agentBin !== undefined) {
      const agent = await startAgent({
        bin: agentBin,
        endpoint,
        token: randomBytes(32).toString('base64url'),
        ttlSeconds: STARTUP_PLAN.ttlSeconds,
      });
      servers.push({ name: 'agent', ...agent });
    }
    const conns = servers.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
    agents.push(...conns);
    const samples = servers.map((): number[] => []);
    for (const [i, server] of servers.entries()) await expect200(server.target, conns[i] as Agent);
    const cpu0 = await Promise.all(servers.map((s) => processCpuUs(s.pid)));
    for (let cycle = 0; cycle < STARTUP_PLAN.expiryReads; cycle++) {
      await new Promise((r) => setTimeout(r, STARTUP_PLAN.ttlSeconds * 1000 + 300));
      const order = cycle % 2 === 0 ? [...servers.keys()] : [...servers.keys()].reverse();
      for (const i of order) {
        const t0 = performance.now();
        await expect200((servers[i] as ExpiryServer).target, conns[i] as Agent);
        samples[i]?.push(performance.now() - t0);
      }
    }
    const cpu1 = await Promise.all(servers.map((s) => processCpuUs(s.pid)));
    return {
      afterExpiry: Object.fromEntries(servers.map((s, i) => [s.name, spread(samples[i] ?? [])])),
      expiryCpuMs: Object.fromEntries(
        servers.map((s, i) => [
          s.name,
          ((cpu1[i] ?? 0) - (cpu0[i] ?? 0)) / 1000 / STARTUP_PLAN.expiryReads,
        ]),
      ),
    };
  } finally {
    for (const a of agents) a.destroy();
    for (const s of servers) await s.stop();
  }
}
