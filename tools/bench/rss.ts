/** Resident memory of a process, from /proc (Linux). */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** Memory of one process in bytes. */
export interface ProcessMemory {
  /** VmRSS: resident now. */
  readonly rssBytes: number;
  /** VmHWM: the peak resident size so far. */
  readonly peakRssBytes: number;
}

/** Parses the VmRSS and VmHWM lines of a `/proc/<pid>/status` text. */
export function parseProcStatus(text: string): ProcessMemory {
  const kib = (key: string): number => {
    const match = new RegExp(`^${key}:\\s+(\\d+)\\s+kB$`, 'm').exec(text);
    if (!match?.[1]) throw new Error(`/proc status has no ${key} line`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

/** Reads the memory of `pid`. */
export async function processMemory(pid: number): Promise<ProcessMemory> {
  return parseProcStatus(await readFile(`/proc/${pid}/status`, 'utf8'));
}

/** Memory of an idle `node` process (this binary, an empty script), for scale. */
export async function idleNodeMemory(): Promise<ProcessMemory> {
  const child = spawn(
    process.execPath,
    ['-e', "process.stdout.write('ready\\n'); setInterval(() => {}, 60000);"],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.stdout.once('data', () => resolve());
    });
    // Let start-up settle (module loading, the first GC) before reading.
    await new Promise((r) => setTimeout(r, 200));
    if (child.pid === undefined) throw new Error('idle node process has no pid');
    return await processMemory(child.pid);
  } finally {
    child.kill('SIGKILL');
  }
}
