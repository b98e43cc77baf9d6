/**
 * Finds the extensions to launch, the way Lambda scans `/opt/extensions`: every regular
 * file directly in the directory (symlinks followed, subdirectories ignored), sorted by name.
 */
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** One file found in the extensions directory. */
export interface ExtensionFile {
  /** The file's basename: the only name it may register with. */
  readonly name: string;
  readonly path: string;
  /** False if the file lacks the execute permission (launching it is `Extension.LaunchError`). */
  readonly executable: boolean;
}

/** Lists the extension files in `dir`, sorted by name. A missing directory has none. */
export async function findExtensions(dir: string | undefined): Promise<ExtensionFile[]> {
  if (dir === undefined) return [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: ExtensionFile[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) continue;
    const executable = await access(path, constants.X_OK).then(
      () => true,
      () => false,
    );
    files.push({ name, path, executable });
  }
  return files;
}
