/**
 * The servers the extension is compared with, each as its own process so its CPU time and
 * memory can be read from /proc like the extension's:
 *  - the floor: a bare `node:http` server answering a fixed GetSecretValue-shaped body;
 *  - AWS's Secrets Manager Agent (Rust, `aws_secretsmanager_agent` 2.1.0), the peer, with
 *    its port and TTL in a TOML file passed with `--config`, against the same moto.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../fakes/moto-server.ts';
import { BENCH_SECRET_ID, BENCH_SECRET_VALUE } from './fixture.ts';
import { firstOk, type HttpTarget } from './http-load.ts';

/** A server process the bench measures. */
export interface PeerProcess {
  readonly pid: number;
  readonly target: HttpTarget;
  /** Start-up: spawn → first 200, in ms. */
  readonly startMs: number;
  stop(): Promise<void>;
}

/** The agent's version the bench builds (scripts/ensure-agent.sh). */
export const AGENT_VERSION = '2.1.0';

/** The GetSecretValue path both the extension and the agent serve. */
export const SECRET_PATH = `/secretsmanager/get?secretId=${encodeURIComponent(BENCH_SECRET_ID)}`;

/** The body the floor answers: the bench secret in GetSecretValue's shape. */
export function floorBody(): string {
  return JSON.stringify({
    ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${BENCH_SECRET_ID}-AbCdEf`,
    Name: BENCH_SECRET_ID,
    VersionId: '00000000-0000-4000-8000-000000000000',
    SecretString: BENCH_SECRET_VALUE,
    VersionStages: ['AWSCURRENT'],
    CreatedDate: 1_767_225_600,
  });
}

const FLOOR_SCRIPT = `
const body = process.env.FLOOR_BODY;
require('node:http')
  .createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  })
  .listen(Number(process.env.FLOOR_PORT), '127.0.0.1');
`;

/** How a peer's process is started, beyond its own command. */
export interface SpawnOptions {
  /** A command the server runs under (`valgrind --tool=callgrind ...`). @default none */
  readonly wrapper?: readonly string[];
  /** Spawn → first 200 bound. @default 15 s */
  readonly startTimeoutMs?: number;
}

/**
 * Starts the floor server on a free port with this process's node. Its target is the
 * extension's request (path, and a token header of the same length), which it ignores, so
 * both parse the same bytes.
 */
export async function startFloor(o: SpawnOptions = {}): Promise<PeerProcess> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawnWrapped(o, process.execPath, ['-e', FLOOR_SCRIPT], {
    FLOOR_BODY: floorBody(),
    FLOOR_PORT: String(port),
  });
  const target = { port, path: SECRET_PATH, token: randomBytes(32).toString('base64url') };
  return started(child, target, t0, o, async () => undefined);
}

/** Where the agent binary is, or undefined when it has not been built. */
export function agentBinary(root: string): string | undefined {
  const bin =
    process.env.SECRET_SIDECAR_AGENT_BIN || join(root, '.cache/agent/bin/aws_secretsmanager_agent');
  return existsSync(bin) ? bin : undefined;
}

/** Options of {@link startAgent}. */
export interface AgentOptions extends SpawnOptions {
  readonly bin: string;
  /** AWS endpoint (moto). */
  readonly endpoint: string;
  /** The SSRF token it checks (it reads it from AWS_TOKEN). */
  readonly token: string;
  readonly ttlSeconds: number;
}

/** Starts AWS's agent with a TOML config on a free port; resolves once it answers 200. */
export async function startAgent(o: AgentOptions): Promise<PeerProcess> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'bench-agent-'));
  const config = join(dir, 'agent.toml');
  await writeFile(
    config,
    [
      `http_port = "${port}"`,
      `ttl_seconds = "${o.ttlSeconds}"`,
      'log_level = "ERROR"',
      'log_to_file = false',
      '',
    ].join('\n'),
  );
  const t0 = performance.now();
  const child = spawnWrapped(
    o,
    o.bin,
    ['--config', config],
    {
      AWS_ENDPOINT_URL: o.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: o.token,
      AWS_TOKEN: o.token,
    },
    dir,
  );
  return started(child, { port, path: SECRET_PATH, token: o.token }, t0, o, () =>
    rm(dir, { recursive: true, force: true }),
  );
}

/** `command args`, under the wrapper when there is one, with PATH and `env` only; output ignored. */
function spawnWrapped(
  o: SpawnOptions,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): ChildProcess {
  const [wrapper, ...wrapperArgs] = o.wrapper ?? [];
  const argv =
    wrapper === undefined ? [command, ...args] : [wrapper, ...wrapperArgs, command, ...args];
  return spawn(argv[0] as string, argv.slice(1), {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: 'ignore',
    ...(cwd === undefined ? {} : { cwd }),
  });
}

async function started(
  child: ChildProcess,
  target: HttpTarget,
  t0: number,
  o: SpawnOptions,
  cleanup: () => Promise<void>,
): Promise<PeerProcess> {
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await cleanup();
  };
  try {
    const startMs = await firstOk(target, t0, o.startTimeoutMs);
    if (child.pid === undefined) throw new Error('the server has no pid');
    return { pid: child.pid, target, startMs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
