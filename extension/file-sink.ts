/**
 * Writes secret envelopes to private files, atomically.
 *
 * The directory is created 0700 (its mode is tightened if it already exists,
 * and a symlinked or foreign-owned directory is refused). Each write goes to a
 * 0600 temp file in the same directory and is renamed over the target, so a
 * reader sees the old file or the new one, never a partial one. Temp files left
 * by a process that died mid-write (they may hold a secret) are removed at start.
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, SidecarError } from '../shared/errors.ts';
import { type SecretEnvelope, secretFileName, TEMP_FILE } from '../shared/sidecar-protocol.ts';

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/** Port: where configured values are published on disk. */
export interface EnvelopeSink {
  /** Writes (replaces) the envelope published under `name`. */
  write(name: string, envelope: SecretEnvelope): Promise<void>;
  /** Removes the file published under `name`, if any. */
  remove(name: string): Promise<void>;
}

/** {@link EnvelopeSink} writing `<dir>/<secretFileName(name)>`. */
export class FileSink implements EnvelopeSink {
  readonly #dir: string;
  #ready: Promise<void> | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The directory written to. */
  get dir(): string {
    return this.#dir;
  }

  /** Path of the file for `name`. */
  pathOf(name: string): string {
    return join(this.#dir, secretFileName(name));
  }

  /**
   * Creates the directory (0700) or checks and tightens an existing one.
   * Idempotent; {@link write} calls it too.
   */
  prepare(): Promise<void> {
    this.#ready ??= this.#prepare().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  async write(name: string, envelope: SecretEnvelope): Promise<void> {
    await this.prepare();
    const target = this.pathOf(name);
    const temp = join(this.#dir, `.${secretFileName(name)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(temp, 'wx', FILE_MODE);
      try {
        await handle.writeFile(JSON.stringify(envelope), 'utf8');
        await handle.chmod(FILE_MODE);
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw new SidecarError(ErrorCode.Internal, `could not write ${target}`, { cause: err });
    }
  }

  async remove(name: string): Promise<void> {
    try {
      await unlink(this.pathOf(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new SidecarError(ErrorCode.Internal, `could not remove ${this.pathOf(name)}`, {
        cause: err,
      });
    }
  }

  async #prepare(): Promise<void> {
    const dir = this.#dir;
    let stat = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new SidecarError(ErrorCode.ConfigInvalid, `cannot inspect ${dir}`, { cause: err });
    });
    if (!stat) {
      await mkdir(dir, { recursive: true, mode: DIR_MODE }).catch((err: unknown) => {
        throw new SidecarError(ErrorCode.ConfigInvalid, `cannot create ${dir}`, { cause: err });
      });
      stat = await lstat(dir);
    }
    if (stat.isSymbolicLink()) {
      throw new SidecarError(
        ErrorCode.ConfigInvalid,
        `${dir} is a symbolic link; refusing to use it`,
      );
    }
    if (!stat.isDirectory()) {
      throw new SidecarError(ErrorCode.ConfigInvalid, `${dir} exists and is not a directory`);
    }
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
      throw new SidecarError(
        ErrorCode.ConfigInvalid,
        `${dir} belongs to another user (uid ${stat.uid}); refusing to use it`,
      );
    }
    if ((stat.mode & 0o777) !== DIR_MODE) await chmod(dir, DIR_MODE);
    await this.#removeLeftovers();
  }

  /** Deletes temp files an earlier process left behind when it died between write and rename. */
  async #removeLeftovers(): Promise<void> {
    for (const entry of await readdir(this.#dir, { withFileTypes: true })) {
      if (!entry.isFile() || !TEMP_FILE.test(entry.name)) continue;
      await unlink(join(this.#dir, entry.name)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }
}
