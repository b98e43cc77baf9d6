/** The machine a bench ran on, for the report. */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, totalmem, type } from 'node:os';

/** What the report says about the machine. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly node: string;
  readonly os: string;
  /** 1-minute load average when the bench started (other work on the machine skews results). */
  readonly loadAverage: number;
}

/** CPU model from a `/proc/cpuinfo` text (the first `model name`). */
export function cpuModel(cpuinfo: string): string | undefined {
  return /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim();
}

/** The first `PRETTY_NAME` of an `/etc/os-release` text. */
export function osName(osRelease: string): string | undefined {
  return /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease)?.[1];
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Describes this machine. */
export function machineInfo(): MachineInfo {
  const distro = osName(readOr('/etc/os-release'));
  return {
    cpu: cpuModel(readOr('/proc/cpuinfo')) ?? 'unknown',
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    node: process.version,
    os: `${distro ? `${distro}, ` : ''}${type()} ${release()}`,
    loadAverage: loadavg()[0] ?? 0,
  };
}
