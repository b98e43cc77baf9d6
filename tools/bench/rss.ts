/** Resident memory of a process, from /proc (Linux). */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** Memory of one process in bytes. */
export interface ProcessMemory {
  /** VmRSS: resident now. */
  readonly rssBytes: number;
  /** VmHWM: the peak resident size so far. */
  readonly peakRssBytes: number;
  /** RssAnon: the process's private memory (heap, JIT code, stacks). */
  readonly anonBytes: number;
  /** RssFile: mapped files, mostly the node binary (shared with other processes using it). */
  readonly fileBytes: number;
}

/** Parses the VmRSS and VmHWM lines of a `/proc/<pid>/status` text. */
export function parseProcStatus(text: string): ProcessMemory {
  const kib = (key: string): number => {
    const match = new RegExp(`^${key}:\\s+(\\d+)\\s+kB$`, 'm').exec(text);
    if (!match?.[1]) throw new Error(`/proc status has no ${key} line`);
    return Number(match[1]) * 1024;
  };
  return {
    rssBytes: kib('VmRSS'),
    peakRssBytes: kib('VmHWM'),
    anonBytes: kib('RssAnon'),
    fileBytes: kib('RssFile'),
  };
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

/** CPU time (user + system) a process has used so far, in µs, from `/proc/<pid>/stat`. */
export async function processCpuUs(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1e6) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: Linux reports CPU times in 1/100 s. */
const CLOCK_TICKS_PER_SECOND = 100;
