/**
 * Load and latency against a local HTTP server, the same way for every server the bench
 * compares: sequential keep-alive requests from this process (per-request latency), `wrk`
 * for throughput (a native load generator: a Node client saturates before the server), and
 * polling for the first 200 (start-up).
 */
import { execFile, spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { promisify } from 'node:util';
import { TOKEN_HEADER } from '../../shared/sidecar-protocol.ts';

const run = promisify(execFile);

/** Where one server answers the bench's lookup. */
export interface HttpTarget {
  readonly port: number;
  /** Request path with query. */
  readonly path: string;
  /** The SSRF token header value; none for the floor. */
  readonly token?: string;
}

/** One GET; resolves to the status code (the body is read and dropped). */
export function get(target: HttpTarget, agent: Agent | false): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: target.path,
        agent,
        headers: target.token === undefined ? {} : { [TOKEN_HEADER]: target.token },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** `n` sequential keep-alive requests after `warmup` untimed ones; durations in ns. */
export async function timeKeepAlive(
  target: HttpTarget,
  n: number,
  warmup: number,
): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < warmup; i++) await expect200(target, agent);
    const durations: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      await expect200(target, agent);
      durations.push(Number(process.hrtime.bigint() - t0));
    }
    return durations;
  } finally {
    agent.destroy();
  }
}

/** One GET that must answer 200; throws naming the target otherwise. */
export async function expect200(target: HttpTarget, agent: Agent | false): Promise<void> {
  const status = await get(target, agent);
  if (status !== 200) throw new Error(`GET :${target.port}${target.path} answered ${status}`);
}

/** Polls until `target` answers 200; resolves to the ms since `t0` (a `performance.now()`). */
export async function firstOk(target: HttpTarget, t0: number, timeoutMs = 15_000): Promise<number> {
  for (;;) {
    try {
      if ((await get(target, false)) === 200) return performance.now() - t0;
    } catch {
      // not listening yet
    }
    if (performance.now() - t0 > timeoutMs) {
      throw new Error(`:${target.port} gave no 200 within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** What one wrk run reports. */
export interface WrkResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** Non-2xx/3xx answers; must be 0 for the run to count. */
  readonly non2xx: number;
}

/** Parses wrk's summary. */
export function parseWrk(text: string): WrkResult {
  const requests = /(\d+) requests in /.exec(text)?.[1];
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text)?.[1];
  if (requests === undefined || rps === undefined) {
    throw new Error(`wrk printed no summary: ${text.slice(0, 200)}`);
  }
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1];
  return {
    requests: Number(requests),
    requestsPerSecond: Number(rps),
    non2xx: non2xx === undefined ? 0 : Number(non2xx),
  };
}

/** Whether wrk is on PATH. */
export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Load settings: wrk's threads and connections, and the run's length. */
export const WRK = { threads: 2, connections: 16, seconds: 3 } as const;

/** One wrk run against `target`. */
export async function runWrk(target: HttpTarget): Promise<WrkResult> {
  const args = [
    `-t${WRK.threads}`,
    `-c${WRK.connections}`,
    `-d${WRK.seconds}s`,
    ...(target.token === undefined ? [] : ['-H', `${TOKEN_HEADER}: ${target.token}`]),
    `http://127.0.0.1:${target.port}${target.path}`,
  ];
  const { stdout } = await run('wrk', args, { timeout: (WRK.seconds + 30) * 1000 });
  const result = parseWrk(stdout);
  if (result.non2xx > 0) {
    throw new Error(`wrk against :${target.port} got ${result.non2xx} non-2xx answers`);
  }
  return result;
}
