/** Reads zip archives the way Lambda unpacks them: entry names, unix modes and contents. */
import yauzl from 'yauzl';

/** One entry of a zip archive. */
export interface ZipEntryInfo {
  readonly path: string;
  /** Unix mode bits (file type and permissions), from the entry's external attributes. */
  readonly mode: number;
  readonly size: number;
}

/** Lists every entry of the zip at `path`, in archive order. */
export function listZip(path: string): Promise<ZipEntryInfo[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error(`cannot open ${path}`));
      const out: ZipEntryInfo[] = [];
      zip.on('entry', (e: yauzl.Entry) => {
        out.push({
          path: e.fileName,
          mode: (e.externalFileAttributes >>> 16) & 0xffff,
          size: e.uncompressedSize,
        });
        zip.readEntry();
      });
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** The first `bytes` bytes of one entry (an ELF header, a shebang) without reading the rest. */
export async function readZipHead(path: string, entryPath: string, bytes: number): Promise<Buffer> {
  return (await readZipEntry(path, entryPath, bytes)).subarray(0, bytes);
}

/** The contents of one entry of the zip at `path` (or at least its first `limit` bytes). */
export function readZipEntry(
  path: string,
  entryPath: string,
  limit = Number.POSITIVE_INFINITY,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error(`cannot open ${path}`));
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName !== entryPath) return zip.readEntry();
        zip.openReadStream(e, (streamErr, stream) => {
          if (streamErr || !stream) return reject(streamErr ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          let size = 0;
          const done = () => {
            zip.close();
            resolve(Buffer.concat(chunks));
          };
          stream.on('data', (c: Buffer) => {
            chunks.push(c);
            size += c.length;
            if (size >= limit) {
              stream.destroy();
              done();
            }
          });
          stream.on('end', done);
          stream.on('error', reject);
        });
      });
      zip.on('end', () => reject(new Error(`${entryPath} is not in ${path}`)));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}
