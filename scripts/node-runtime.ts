/**
 * The Node.js binary the standalone layers bundle: the official build for each
 * architecture, taken from the npm registry's `node-linux-<arch>` package (nowhere else),
 * checked against the sha512 integrity pinned in scripts/node-runtime.json, stripped of
 * debug symbols where a strip that understands the architecture is installed, and cached
 * under `.cache/node/<version>/<arch>/`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The architectures a standalone layer is built for, as Lambda names them. */
export const ARCHITECTURES = ['x86_64', 'arm64'] as const;

/** One of {@link ARCHITECTURES}. */
export type Architecture = (typeof ARCHITECTURES)[number];

interface Pin {
  readonly package: string;
  readonly integrity: string;
  /** What `readelf -h` calls the machine, to check the binary is for the architecture. */
  readonly elfMachine: string;
}

interface Pins {
  readonly version: string;
  readonly architectures: Readonly<Record<Architecture, Pin>>;
}

/** What {@link ensureNodeBinary} produced. */
export interface NodeBinary {
  readonly version: string;
  readonly architecture: Architecture;
  /** The binary to ship. */
  readonly node: string;
  /** Node.js's LICENSE, shipped next to it. */
  readonly license: string;
  /** How it was stripped (`llvm-strip`, `strip`) or why not. */
  readonly stripped: string;
}

/** The pinned version and hashes. */
export async function nodePins(): Promise<Pins> {
  return JSON.parse(await readFile(join(ROOT, 'scripts/node-runtime.json'), 'utf8')) as Pins;
}

const CACHE = join(ROOT, '.cache', 'node');

/** Returns the cached, verified binary for `arch`, fetching it from the npm registry once. */
export async function ensureNodeBinary(
  arch: Architecture,
  say: (l: string) => void = () => undefined,
): Promise<NodeBinary> {
  const pins = await nodePins();
  const pin = pins.architectures[arch];
  const dir = join(CACHE, pins.version, arch);
  const stamp = join(dir, 'stamp.json');
  if (existsSync(stamp)) {
    const recorded = JSON.parse(await readFile(stamp, 'utf8')) as {
      integrity: string;
      stripped: string;
    };
    if (recorded.integrity === pin.integrity && existsSync(join(dir, 'node'))) {
      return {
        version: pins.version,
        architecture: arch,
        node: join(dir, 'node'),
        license: join(dir, 'LICENSE'),
        stripped: recorded.stripped,
      };
    }
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(CACHE, '.fetch-'));
  try {
    say(`fetching ${pin.package}@${pins.version} from the npm registry`);
    execFileSync(
      'npm',
      [
        'pack',
        `${pin.package}@${pins.version}`,
        '--pack-destination',
        work,
        '--silent',
        '--loglevel=error',
      ],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const [tarball] = (await readdir(work)).filter((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${pin.package}@${pins.version} produced no tarball`);
    const bytes = await readFile(join(work, tarball));
    const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    if (integrity !== pin.integrity) {
      throw new Error(
        `${pin.package}@${pins.version} does not match the pinned integrity in scripts/node-runtime.json (got ${integrity}); refusing to use it`,
      );
    }
    execFileSync('tar', [
      '-xzf',
      join(work, tarball),
      '-C',
      work,
      'package/bin/node',
      'package/LICENSE',
    ]);
    await copyFile(join(work, 'package/bin/node'), join(dir, 'node'));
    await copyFile(join(work, 'package/LICENSE'), join(dir, 'LICENSE'));
    await chmod(join(dir, 'node'), 0o755);
    const stripped = strip(join(dir, 'node'), arch);
    await checkMachine(join(dir, 'node'), pin);
    await writeFile(stamp, JSON.stringify({ integrity: pin.integrity, stripped }));
    const size = (await stat(join(dir, 'node'))).size;
    say(`node ${pins.version} ${arch}: ${(size / 1e6).toFixed(1)} MB (${stripped})`);
    return {
      version: pins.version,
      architecture: arch,
      node: join(dir, 'node'),
      license: join(dir, 'LICENSE'),
      stripped,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Removes the debug symbols (about 18 MB): safe, since Node.js needs no ELF symbols at run
 * time (stack traces come from V8). llvm-strip handles both architectures; GNU strip only the
 * host's. Without either the binary ships unstripped, and the result says so.
 */
function strip(file: string, arch: Architecture): string {
  const host =
    process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'arm64' : process.arch;
  const candidates = [
    'llvm-strip',
    ...(host === arch ? ['strip'] : []),
    ...(arch === 'arm64' ? ['aarch64-linux-gnu-strip'] : ['x86_64-linux-gnu-strip']),
  ];
  for (const tool of candidates) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) continue;
    execFileSync(tool, ['--strip-all', file]);
    return tool;
  }
  return 'not stripped: no strip for this architecture is installed';
}

/** Checks the ELF header's machine field, so a mix-up of architectures cannot ship. */
async function checkMachine(file: string, pin: Pin): Promise<void> {
  const head = Buffer.alloc(20);
  const { open } = await import('node:fs/promises');
  const fd = await open(file, 'r');
  try {
    await fd.read(head, 0, 20, 0);
  } finally {
    await fd.close();
  }
  const machine = head.readUInt16LE(18);
  const expected = pin.elfMachine === 'x86-64' ? 0x3e : 0xb7;
  if (head.readUInt32BE(0) !== 0x7f454c46 || machine !== expected) {
    throw new Error(
      `${file} is not an ${pin.elfMachine} ELF executable (machine 0x${machine.toString(16)})`,
    );
  }
}
