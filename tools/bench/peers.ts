/**
 * The extension next to its peer and its floor, on the same moto and secret, interleaved
 * in rounds so drift on the machine hits all alike: the node and standalone flavours of
 * the extension (in unfrozen sandboxes, so a client outside can load them), AWS's Secrets
 * Manager Agent, and a bare `node:http` server. For each: keep-alive latency, throughput
 * with wrk, server CPU per request, and memory after warm-up and after the load.
 */
import { randomBytes } from 'node:crypto';
import { freePort } from '../fakes/moto-server.ts';
import type { LambdaSandbox } from '../sandbox/index.ts';
import { firstOk, type HttpTarget, hasWrk, runWrk, timeKeepAlive } from './http-load.ts';
import {
  AGENT_VERSION,
  type PeerProcess,
  SECRET_PATH,
  startAgent,
  startFloor,
} from './peer-processes.ts';
import { type ProcessMemory, processCpuUs, processMemory } from './rss.ts';
import { benchSandbox, extensionPid } from './sandbox-run.ts';
import { type Summary, spread, summarize } from './stats.ts';
import type { Workspace } from './workspace.ts';

/** The servers compared. */
export const Peer = {
  Node: 'node',
  Standalone: 'standalone',
  Agent: 'agent',
  Floor: 'floor',
} as const;

/** One of {@link Peer}. */
export type Peer = (typeof Peer)[keyof typeof Peer];

/** How each peer is named in the report. */
export const PEER_LABELS: Readonly<Record<Peer, string>> = {
  node: 'secret-sidecar, node flavour',
  standalone: 'secret-sidecar, standalone flavour',
  agent: `AWS Secrets Manager Agent ${AGENT_VERSION}`,
  floor: 'bare node:http server (floor)',
};

/** Rounds, and keep-alive requests per round. */
export const PEER_PLAN = { rounds: 5, latencyRequests: 1500, warmup: 300 } as const;

/** What one peer measured. */
export interface PeerResult {
  readonly peer: Peer;
  readonly latency: Summary;
  /** Median over rounds; undefined without wrk. */
  readonly requestsPerSecond?: number;
  /** Server CPU time per request under wrk, median over rounds (µs). */
  readonly cpuUsPerRequest?: number;
  readonly memoryAfterWarmup: ProcessMemory;
  readonly memoryAfterLoad: ProcessMemory;
  /** Requests the server answered in the phase. */
  readonly requests: number;
}

/** The phase's results, and what could not run. */
export interface PeerPhase {
  readonly results: readonly PeerResult[];
  /** Loud notes: a peer or tool that was missing. */
  readonly skipped: readonly string[];
}

interface Running {
  readonly peer: Peer;
  readonly pid: number;
  readonly target: HttpTarget;
  stop(): Promise<void>;
}

/** Starts one flavour of the extension in an unfrozen sandbox; resolves once it answers. */
export async function startExtension(
  ws: Workspace,
  endpoint: string,
  flavour: 'node' | 'standalone',
  o: { ttlSeconds?: number; folder: string; extraEnv?: Record<string, string> },
): Promise<Running & { sandbox: LambdaSandbox; startMs: number }> {
  const token = randomBytes(32).toString('base64url');
  const port = await freePort();
  const sandbox = await benchSandbox(ws, {
    handler: 'noop.handler',
    secretFolder: o.folder,
    endpoint,
    flavour,
    freeze: false,
    httpPort: port,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: token },
    ...(o.ttlSeconds === undefined ? {} : { ttlSeconds: o.ttlSeconds }),
    ...(o.extraEnv === undefined ? {} : { extraEnv: o.extraEnv }),
  });
  const target = { port, path: SECRET_PATH, token };
  const t0 = performance.now();
  const [startMs] = await Promise.all([firstOk(target, t0), sandbox.init()]);
  return {
    peer: flavour,
    pid: extensionPid(sandbox),
    target,
    sandbox,
    startMs,
    stop: async () => {
      await sandbox.shutdown();
    },
  };
}

function fromProcess(peer: Peer, p: PeerProcess): Running {
  return { peer, pid: p.pid, target: p.target, stop: () => p.stop() };
}

/** Runs the phase; `agentBin` undefined = the agent is skipped (and said so). */
export async function runPeers(
  ws: Workspace,
  endpoint: string,
  agentBin: string | undefined,
  progress: (line: string) => void,
): Promise<PeerPhase> {
  const skipped: string[] = [];
  const wrk = hasWrk();
  if (!wrk) {
    skipped.push(
      'wrk is not installed (Debian: apt-get install wrk): no throughput or CPU figures',
    );
  }
  const running: Running[] = [];
  try {
    running.push(await startExtension(ws, endpoint, 'node', { folder: 'peers-node' }));
    running.push(await startExtension(ws, endpoint, 'standalone', { folder: 'peers-standalone' }));
    if (agentBin === undefined) {
      skipped.push(
        `AWS's Secrets Manager Agent is not built (needs cargo: scripts/ensure-agent.sh): no agent column`,
      );
    } else {
      const token = randomBytes(32).toString('base64url');
      running.push(
        fromProcess(
          Peer.Agent,
          await startAgent({ bin: agentBin, endpoint, token, ttlSeconds: 300 }),
        ),
      );
    }
    running.push(fromProcess(Peer.Floor, await startFloor()));

    const latency = new Map<Peer, number[]>();
    const rps = new Map<Peer, number[]>();
    const cpu = new Map<Peer, number[]>();
    const requests = new Map<Peer, number>();
    const warm = new Map<Peer, ProcessMemory>();
    for (let round = 0; round < PEER_PLAN.rounds; round++) {
      // Rotate who goes first, so no peer always runs on a cold or a hot machine.
      const order = running.map((_, i) => running[(i + round) % running.length] as Running);
      for (const r of order) {
        const d = await timeKeepAlive(r.target, PEER_PLAN.latencyRequests, PEER_PLAN.warmup);
        latency.set(r.peer, [...(latency.get(r.peer) ?? []), ...d]);
        requests.set(r.peer, (requests.get(r.peer) ?? 0) + d.length + PEER_PLAN.warmup);
        if (round === 0) warm.set(r.peer, await processMemory(r.pid));
        if (wrk) {
          const before = await processCpuUs(r.pid);
          const w = await runWrk(r.target);
          const used = (await processCpuUs(r.pid)) - before;
          rps.set(r.peer, [...(rps.get(r.peer) ?? []), w.requestsPerSecond]);
          cpu.set(r.peer, [...(cpu.get(r.peer) ?? []), used / w.requests]);
          requests.set(r.peer, (requests.get(r.peer) ?? 0) + w.requests);
        }
      }
      progress(`  round ${round + 1}/${PEER_PLAN.rounds}`);
    }
    const results: PeerResult[] = [];
    for (const r of running) {
      const s = summarize(latency.get(r.peer) ?? []);
      const result: PeerResult = {
        peer: r.peer,
        latency: s,
        ...(wrk
          ? {
              requestsPerSecond: spread(rps.get(r.peer) ?? []).median,
              cpuUsPerRequest: spread(cpu.get(r.peer) ?? []).median,
            }
          : {}),
        memoryAfterWarmup: warm.get(r.peer) ?? (await processMemory(r.pid)),
        memoryAfterLoad: await processMemory(r.pid),
        requests: requests.get(r.peer) ?? 0,
      };
      results.push(result);
      progress(
        `  ${PEER_LABELS[r.peer].padEnd(36)} p50 ${s.p50Us.toFixed(0)} µs  p99 ${s.p99Us.toFixed(0)} µs  ${result.requestsPerSecond?.toFixed(0) ?? '–'} req/s  ${result.cpuUsPerRequest?.toFixed(1) ?? '–'} µs CPU/req  RSS ${(result.memoryAfterLoad.rssBytes / 2 ** 20).toFixed(1)} MiB`,
      );
    }
    return { results, skipped };
  } finally {
    for (const r of running) await r.stop().catch(() => undefined);
  }
}
