/**
 * Reproducible zip files: entries sorted by path, one fixed timestamp, and each
 * file's permission bits kept (a layer's launcher must stay executable). Two
 * builds of the same tree give byte-identical archives.
 */
import { createWriteStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

/** The timestamp every entry gets: the earliest a DOS date can hold. */
export const ZIP_EPOCH = new Date(Date.UTC(1980, 0, 1, 0, 0, 0));

/** Every regular file below `dir`, as paths relative to it with `/` separators, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) out.push(relative(dir, path).split(sep).join('/'));
      else throw new Error(`${path} is neither a file nor a directory; refusing to zip it`);
    }
  };
  await walk(dir);
  return out.sort();
}

/** Zips every file below `dir` into `outFile`, reproducibly. */
export async function zipDirectory(dir: string, outFile: string): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const path of await listFiles(dir)) {
    const { mode } = await stat(join(dir, path));
    zip.addFile(join(dir, path), path, {
      mtime: ZIP_EPOCH,
      // Regular file, with its own permission bits only (no setuid, no group write).
      mode: 0o100000 | (mode & 0o755),
      compress: true,
      compressionLevel: 6,
      forceDosTimestamp: true,
    });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(outFile));
}
