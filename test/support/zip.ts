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

/** The contents of one entry of the zip at `path`. */
export function readZipEntry(path: string, entryPath: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error(`cannot open ${path}`));
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName !== entryPath) return zip.readEntry();
        zip.openReadStream(e, (streamErr, stream) => {
          if (streamErr || !stream) return reject(streamErr ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            zip.close();
            resolve(Buffer.concat(chunks));
          });
          stream.on('error', reject);
        });
      });
      zip.on('end', () => reject(new Error(`${entryPath} is not in ${path}`)));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}
