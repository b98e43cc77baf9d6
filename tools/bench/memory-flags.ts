/**
 * Node options for the extension, chosen by measurement: each candidate runs both flavours
 * (the node flavour on this machine's Node, the standalone flavour on its pinned Node 22)
 * with the launcher's `exec` line changed, under the same load (20,000 keep-alive requests,
 * then one wrk run), and reports memory and throughput. The launcher ships the winner;
 * every option tried stays in the report.
 */
import { randomBytes } from 'node:crypto';
import { freePort } from '../fakes/moto-server.ts';
import { firstOk, hasWrk, runWrk, timeKeepAlive } from './http-load.ts';
import { launcherCopy } from './launcher-copy.ts';
import { SECRET_PATH } from './peer-processes.ts';
import { type ProcessMemory, processMemory } from './rss.ts';
import { benchSandbox, extensionPid } from './sandbox-run.ts';
import type { Workspace } from './workspace.ts';

/** The options on the launcher's `exec` line (replaced by each candidate's). */
export const LAUNCHER_FLAGS = '--max-semi-space-size=$semi';

/** What the launcher ships, in words: the semi-space it picks per Node version. */
export const SHIPPED = '`--max-semi-space-size=1` on Node 20 and `=2` on Node 22 and later';

/** Candidates, by label. */
export const FLAG_CANDIDATES: readonly { readonly label: string; readonly flags: string }[] = [
  { label: 'none (Node defaults)', flags: '' },
  { label: '--max-semi-space-size=1 (shipped on Node 20)', flags: '--max-semi-space-size=1' },
  { label: '--max-semi-space-size=2 (shipped on Node 22)', flags: '--max-semi-space-size=2' },
  { label: '--max-semi-space-size=4', flags: '--max-semi-space-size=4' },
  {
    label: '--max-semi-space-size=2 --max-old-space-size=32',
    flags: '--max-semi-space-size=2 --max-old-space-size=32',
  },
  { label: '--single-threaded-gc', flags: '--single-threaded-gc' },
  { label: '--lite-mode', flags: '--lite-mode' },
  { label: '--jitless', flags: '--jitless' },
];

/** Load per candidate. */
export const FLAG_LOAD = { requests: 20_000 } as const;

/** The flavours each candidate runs on. */
export const FLAG_FLAVOURS = ['node', 'standalone'] as const;

/** One of {@link FLAG_FLAVOURS}. */
export type FlagFlavour = (typeof FLAG_FLAVOURS)[number];

/** One candidate's figures on one flavour. */
export interface FlagResult {
  readonly label: string;
  readonly flags: string;
  readonly flavour: FlagFlavour;
  readonly memory: ProcessMemory;
  /** Undefined without wrk. */
  readonly requestsPerSecond?: number;
}

/** Measures every candidate in turn, on each flavour. */
export async function runMemoryFlags(
  ws: Workspace,
  endpoint: string,
  progress: (line: string) => void,
): Promise<FlagResult[]> {
  const wrk = hasWrk();
  const out: FlagResult[] = [];
  for (const [i, candidate] of FLAG_CANDIDATES.entries()) {
    for (const flavour of FLAG_FLAVOURS) {
      out.push(await measureCandidate(ws, endpoint, flavour, String(i), candidate, wrk));
      const last = out[out.length - 1] as FlagResult;
      progress(
        `  ${`${candidate.label}, ${flavour}`.padEnd(60)} RSS ${(last.memory.rssBytes / 2 ** 20).toFixed(1)} MiB (private ${(last.memory.anonBytes / 2 ** 20).toFixed(1)})  ${last.requestsPerSecond?.toFixed(0) ?? '–'} req/s`,
      );
    }
  }
  return out;
}

async function measureCandidate(
  ws: Workspace,
  endpoint: string,
  flavour: FlagFlavour,
  name: string,
  candidate: (typeof FLAG_CANDIDATES)[number],
  wrk: boolean,
): Promise<FlagResult> {
  const token = randomBytes(32).toString('base64url');
  const port = await freePort();
  const launcher = await launcherCopy(ws, flavour, `flags-${flavour}-${name}`, {
    find: `--no-warnings ${LAUNCHER_FLAGS} `,
    replace: `--no-warnings ${candidate.flags} `,
    owner: 'tools/bench/memory-flags.ts',
  });
  const sandbox = await benchSandbox(
    { ...ws, extensionsDir: launcher, standaloneExtensionsDir: launcher },
    {
      handler: 'noop.handler',
      secretFolder: `flags-${flavour}-${name}`,
      flavour,
      endpoint,
      freeze: false,
      httpPort: port,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: token },
    },
  );
  try {
    const target = { port, path: SECRET_PATH, token };
    await Promise.all([sandbox.init(), firstOk(target, performance.now())]);
    await timeKeepAlive(target, FLAG_LOAD.requests, 0);
    const requestsPerSecond = wrk ? (await runWrk(target)).requestsPerSecond : undefined;
    const memory = await processMemory(extensionPid(sandbox));
    return {
      label: candidate.label,
      flags: candidate.flags,
      flavour,
      memory,
      ...(requestsPerSecond === undefined ? {} : { requestsPerSecond }),
    };
  } finally {
    await sandbox.shutdown();
  }
}
