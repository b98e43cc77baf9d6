/**
 * Node options for the extension, chosen by measurement: each candidate runs the node
 * flavour with the launcher's `exec` line changed, under the same load (20,000 keep-alive
 * requests, then one wrk run), and reports memory and throughput. The launcher ships the
 * winner; every option tried stays in the report.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../fakes/moto-server.ts';
import { firstOk, hasWrk, runWrk, timeKeepAlive } from './http-load.ts';
import { SECRET_PATH } from './peer-processes.ts';
import { type ProcessMemory, processMemory } from './rss.ts';
import { benchSandbox, extensionPid } from './sandbox-run.ts';
import type { Workspace } from './workspace.ts';

/** The flag the launcher ships (replaced by each candidate). */
export const SHIPPED_FLAGS = '--max-semi-space-size=1';

/** Candidates, by label. */
export const FLAG_CANDIDATES: readonly { readonly label: string; readonly flags: string }[] = [
  { label: 'none (Node defaults)', flags: '' },
  { label: '--max-semi-space-size=1 (shipped)', flags: SHIPPED_FLAGS },
  {
    label: '--max-semi-space-size=1 --max-old-space-size=32',
    flags: '--max-semi-space-size=1 --max-old-space-size=32',
  },
  { label: '--single-threaded-gc', flags: '--single-threaded-gc' },
  { label: '--lite-mode', flags: '--lite-mode' },
  { label: '--jitless', flags: '--jitless' },
];

/** Load per candidate. */
export const FLAG_LOAD = { requests: 20_000 } as const;

/** One candidate's figures. */
export interface FlagResult {
  readonly label: string;
  readonly flags: string;
  readonly memory: ProcessMemory;
  /** Undefined without wrk. */
  readonly requestsPerSecond?: number;
}

/** A copy of the node flavour's launcher whose `exec` line carries `flags` instead. */
async function launcherWith(ws: Workspace, name: string, flags: string): Promise<string> {
  const opt = join(ws.dir, `opt-flags-${name}`);
  await mkdir(join(opt, 'extensions'), { recursive: true });
  const original = await readFile(join(ws.extensionsDir, 'secret-sidecar'), 'utf8');
  const exec = `--no-warnings ${SHIPPED_FLAGS} `;
  if (!original.includes(exec)) {
    throw new Error(
      `the launcher's exec line no longer passes ${SHIPPED_FLAGS}: update memory-flags.ts`,
    );
  }
  const launcher = join(opt, 'extensions', 'secret-sidecar');
  await writeFile(launcher, original.replace(exec, `--no-warnings ${flags} `));
  await chmod(launcher, 0o755);
  await symlink(join(ws.extensionsDir, '..', 'secret-sidecar'), join(opt, 'secret-sidecar'));
  return join(opt, 'extensions');
}

/** Measures every candidate in turn. */
export async function runMemoryFlags(
  ws: Workspace,
  endpoint: string,
  progress: (line: string) => void,
): Promise<FlagResult[]> {
  const wrk = hasWrk();
  const out: FlagResult[] = [];
  for (const [i, candidate] of FLAG_CANDIDATES.entries()) {
    const token = randomBytes(32).toString('base64url');
    const port = await freePort();
    const sandbox = await benchSandbox(
      { ...ws, extensionsDir: await launcherWith(ws, String(i), candidate.flags) },
      {
        handler: 'noop.handler',
        secretFolder: `flags-${i}`,
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
      out.push({
        label: candidate.label,
        flags: candidate.flags,
        memory,
        ...(requestsPerSecond === undefined ? {} : { requestsPerSecond }),
      });
      progress(
        `  ${candidate.label.padEnd(48)} RSS ${(memory.rssBytes / 2 ** 20).toFixed(1)} MiB (private ${(memory.anonBytes / 2 ** 20).toFixed(1)})  ${requestsPerSecond?.toFixed(0) ?? '–'} req/s`,
      );
    } finally {
      await sandbox.shutdown();
    }
  }
  return out;
}
