/**
 * A child process started as the leader of its own process group, so the whole group
 * (the process and anything it forks) can be frozen, thawed and killed together.
 * Captures stdout/stderr line by line and tracks the exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/** How a process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Epoch ms. */
  readonly time: number;
}

/** Options of {@link ProcessGroup.spawn}. */
export interface SpawnOptions {
  /** Label for output lines, e.g. `runtime` or `extension:cache`. */
  readonly source: string;
  readonly command: string;
  readonly args?: readonly string[];
  /** The complete environment; nothing else is inherited. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Receives every complete line from stdout and stderr. */
  readonly onLine: (stream: 'stdout' | 'stderr', line: string) => void;
}

/** Process groups still alive, killed synchronously if this process exits unexpectedly. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
  });
}

/** Sends `signal` to every process in group `pgid`; false if the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The scheduler state letter of `pid` from /proc (Linux), or undefined if unavailable. */
export async function schedulerState(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** A spawned process group. */
export class ProcessGroup {
  readonly source: string;
  readonly pid: number;
  /** Epoch ms of the spawn. */
  readonly spawnedAt: number;
  /** Resolves when the leader exits (never rejects). */
  readonly exited: Promise<ProcessExit>;
  #exit: ProcessExit | undefined;
  #stopped = false;

  private constructor(source: string, child: ChildProcess, pid: number) {
    this.source = source;
    this.pid = pid;
    this.spawnedAt = Date.now();
    liveGroups.add(pid);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal, time: Date.now() };
        resolve(this.#exit);
      });
    });
  }

  /**
   * Spawns `command` detached (own process group). Resolves once the process is running;
   * rejects with the spawn error (ENOENT, EACCES, ...) if it could not start.
   */
  static async spawn(options: SpawnOptions): Promise<ProcessGroup> {
    installExitHook();
    const child = spawn(options.command, [...(options.args ?? [])], {
      env: { ...options.env },
      cwd: options.cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    // Later errors (e.g. signalling a reaped child) are reported through `exited` instead.
    child.on('error', () => undefined);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`spawned ${options.command} without a pid`);
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = child[stream];
      if (!source) continue;
      createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
        options.onLine(stream, line),
      );
    }
    const group = new ProcessGroup(options.source, child, pid);
    void group.exited.then(() => {
      // The leader is gone; anything it left in the group dies with it.
      signalGroup(pid, 'SIGKILL');
      liveGroups.delete(pid);
    });
    return group;
  }

  /** The exit, once the leader has exited. */
  get exit(): ProcessExit | undefined {
    return this.#exit;
  }

  /** True until the leader exits. */
  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** True while the group is SIGSTOPped by {@link freeze}. */
  get frozen(): boolean {
    return this.#stopped && this.alive;
  }

  /**
   * SIGSTOPs the whole group and waits (up to `confirmMs`) until the leader is really
   * stopped: signal delivery is asynchronous, and "frozen" should mean frozen.
   */
  async freeze(confirmMs = 1000): Promise<void> {
    if (!this.alive) return;
    this.#stopped = signalGroup(this.pid, 'SIGSTOP');
    const until = Date.now() + confirmMs;
    while (this.#stopped && this.alive && Date.now() < until) {
      const state = await schedulerState(this.pid);
      if (state === undefined || state === 'T' || state === 't' || state === 'Z') return;
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** SIGCONTs the whole group. */
  thaw(): void {
    this.#stopped = false;
    if (this.alive) signalGroup(this.pid, 'SIGCONT');
  }

  /** SIGCONT then SIGTERM to the whole group (a stopped process would not see SIGTERM). */
  terminate(): void {
    if (!this.alive) return;
    this.thaw();
    signalGroup(this.pid, 'SIGTERM');
  }

  /** SIGKILLs the whole group and waits for the leader's exit. */
  async kill(): Promise<ProcessExit> {
    if (this.alive) signalGroup(this.pid, 'SIGKILL');
    return this.exited;
  }

  /** Waits for the exit up to `ms`; undefined if still alive then. */
  async waitExit(ms: number): Promise<ProcessExit | undefined> {
    if (this.#exit) return this.#exit;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
