/**
 * Instructions per cached read, counted by valgrind's callgrind. Wall and CPU time on a
 * shared 2-core machine differ by ±20 % between identical runs; an instruction count for
 * the same binary and requests repeats within about 1 %, so it tells whether the extension's
 * request path costs more than the floor's when latency and throughput cannot.
 *
 * Each server runs under callgrind (the extension through a launcher copy whose `exec`
 * runs node under it). After a warm-up the counters are zeroed (`callgrind_control -z`), a
 * fixed number of sequential keep-alive requests runs, and the dump's total (every thread:
 * V8's compiler and GC threads count too) is divided by their number.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../fakes/moto-server.ts';
import { expect200, firstOk, type HttpTarget } from './http-load.ts';
import { LAUNCHER_EXEC, launcherCopy } from './launcher-copy.ts';
import { SECRET_PATH, startAgent, startFloor } from './peer-processes.ts';
import { Peer } from './peers.ts';
import { benchSandbox, extensionPid } from './sandbox-run.ts';
import type { Workspace } from './workspace.ts';

const run = promisify(execFile);

/** Requests per server: untimed warm-up, then the counted ones. */
export const INSTRUCTION_PLAN = {
  warmup: 8_000,
  requests: 3_000,
  /** Start-up under callgrind takes 10–30 s here. */
  startTimeoutMs: 180_000,
} as const;

/** The servers counted. */
export type CountedPeer = typeof Peer.Node | typeof Peer.Agent | typeof Peer.Floor;

/** What the phase measured. */
export interface InstructionsPhase {
  /** Instructions per cached read, by server. */
  readonly perRequest: Partial<Record<CountedPeer, number>>;
  /** `valgrind-3.19.0`, when it ran. */
  readonly valgrind?: string;
  /** What was not counted, and why. */
  readonly skipped: readonly string[];
}

/** The valgrind version, or undefined when valgrind or callgrind_control is missing. */
export function callgrindVersion(): string | undefined {
  const valgrind = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  const control = spawnSync('callgrind_control', ['--version'], { encoding: 'utf8' });
  if (valgrind.status !== 0 || control.error !== undefined) return undefined;
  return valgrind.stdout.trim();
}

/** The instruction total of a callgrind dump (its `summary:` line, else `totals:`). */
export function callgrindTotal(dump: string): number {
  const line = /^summary:\s+(\d+)/m.exec(dump) ?? /^totals:\s+(\d+)/m.exec(dump);
  if (!line?.[1]) throw new Error('callgrind dump has no summary or totals line');
  return Number(line[1]);
}

/** Counts each server in turn; a server that cannot run is skipped and said so. */
export async function runInstructions(
  ws: Workspace,
  endpoint: string,
  agentBin: string | undefined,
  progress: (line: string) => void,
): Promise<InstructionsPhase> {
  const valgrind = callgrindVersion();
  if (valgrind === undefined) {
    return {
      perRequest: {},
      skipped: [
        'valgrind is not installed (Debian: apt-get install valgrind): no instruction counts',
      ],
    };
  }
  const dir = join(ws.dir, 'callgrind');
  await mkdir(dir, { recursive: true });
  const wrapper = [
    'valgrind',
    '--tool=callgrind',
    `--callgrind-out-file=${join(dir, 'callgrind.%p')}`,
  ];
  const perRequest: Partial<Record<CountedPeer, number>> = {};
  const skipped: string[] = [];
  const say = (peer: CountedPeer): void =>
    progress(
      `  ${peer.padEnd(10)} ${Math.round(perRequest[peer] ?? 0).toLocaleString('en-US')} instructions per read`,
    );

  perRequest[Peer.Node] = await countExtension(ws, endpoint, wrapper, dir);
  say(Peer.Node);
  const floor = await startFloor({ wrapper, startTimeoutMs: INSTRUCTION_PLAN.startTimeoutMs });
  try {
    perRequest[Peer.Floor] = await countRequests(floor.pid, floor.target, dir);
  } finally {
    await floor.stop();
  }
  say(Peer.Floor);
  if (agentBin === undefined) {
    skipped.push("AWS's Secrets Manager Agent is not built: no agent instruction count");
  } else {
    const agent = await startAgent({
      bin: agentBin,
      endpoint,
      token: randomBytes(32).toString('base64url'),
      ttlSeconds: 300,
      wrapper,
      startTimeoutMs: INSTRUCTION_PLAN.startTimeoutMs,
    });
    try {
      perRequest[Peer.Agent] = await countRequests(agent.pid, agent.target, dir);
    } finally {
      await agent.stop();
    }
    say(Peer.Agent);
  }
  return { perRequest, valgrind, skipped };
}

/** The node flavour in a sandbox, its launcher running node under the wrapper. */
async function countExtension(
  ws: Workspace,
  endpoint: string,
  wrapper: readonly string[],
  dir: string,
): Promise<number> {
  const extensions = await launcherCopy(ws, 'node', 'callgrind', {
    find: LAUNCHER_EXEC,
    replace: `exec ${wrapper.map((w) => `'${w}'`).join(' ')} "$node" `,
    owner: 'tools/bench/instructions.ts',
  });
  const token = randomBytes(32).toString('base64url');
  const port = await freePort();
  const sandbox = await benchSandbox(
    { ...ws, extensionsDir: extensions },
    {
      handler: 'noop.handler',
      secretFolder: 'callgrind',
      endpoint,
      freeze: false,
      httpPort: port,
      initTimeoutMs: INSTRUCTION_PLAN.startTimeoutMs,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: token },
    },
  );
  try {
    const target = { port, path: SECRET_PATH, token };
    await Promise.all([
      sandbox.init(),
      firstOk(target, performance.now(), INSTRUCTION_PLAN.startTimeoutMs),
    ]);
    return await countRequests(extensionPid(sandbox), target, dir);
  } finally {
    await sandbox.shutdown();
  }
}

/**
 * Warm-up, zero, the counted requests, dump: instructions per request. All on one kept-alive
 * connection: a new one sets off a round of V8 deoptimising and recompiling node's HTTP code,
 * which would be counted (with 2,000 warm-up requests and a new connection, more than half
 * of the instructions were TurboFan's; after 8,000 on one connection, none).
 */
async function countRequests(pid: number, target: HttpTarget, dir: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await requests(target, agent, INSTRUCTION_PLAN.warmup);
    await run('callgrind_control', ['-z', String(pid)]);
    await requests(target, agent, INSTRUCTION_PLAN.requests);
    await run('callgrind_control', ['-d', String(pid)]);
  } finally {
    agent.destroy();
  }
  // The dump after zeroing is the process's first numbered part.
  const dump = join(dir, `callgrind.${pid}.1`);
  for (let waited = 0; ; waited += 100) {
    try {
      const text = await readFile(dump, 'utf8');
      if (/^totals:/m.test(text)) return callgrindTotal(text) / INSTRUCTION_PLAN.requests;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (waited >= 10_000) throw new Error(`callgrind wrote no complete dump at ${dump}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function requests(target: HttpTarget, agent: Agent, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await expect200(target, agent);
}
