import { spawn } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSink } from '../../../extension/file-sink.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import type { SecretEnvelope } from '../../../shared/sidecar-protocol.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'file-sink-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function envelope(value: string): SecretEnvelope {
  return {
    version: 1,
    source: 'secretsmanager',
    name: 'prod/openai',
    secretId: 'prod/openai',
    arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/openai-AbCdEf',
    versionId: 'v1',
    versionStages: ['AWSCURRENT'],
    value,
    binary: false,
    fetchedAt: 1,
    expiresAt: 2,
  };
}

describe('FileSink', () => {
  it('writes the envelope as a 0600 file in a 0700 directory', async () => {
    const dir = join(root, 'secrets');
    const sink = new FileSink(dir);
    await sink.write('openai', envelope('sk-1'));
    expect((await lstat(dir)).mode & 0o777).toBe(0o700);
    const file = sink.pathOf('openai');
    expect(file).toBe(join(dir, 'openai.json'));
    expect((await lstat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(envelope('sk-1'));
  });

  it('tightens an existing directory with a looser mode', async () => {
    const dir = join(root, 'loose');
    await mkdir(dir);
    await chmod(dir, 0o755);
    await new FileSink(dir).prepare();
    expect((await lstat(dir)).mode & 0o777).toBe(0o700);
  });

  it('refuses a symlinked directory', async () => {
    const real = join(root, 'real');
    await mkdir(real);
    const link = join(root, 'link');
    await symlink(real, link);
    await expect(new FileSink(link).prepare()).rejects.toMatchObject({
      code: ErrorCode.ConfigInvalid,
      message: expect.stringContaining('symbolic link'),
    });
  });

  it('percent-encodes ids that are not safe file names', async () => {
    const sink = new FileSink(root);
    expect(sink.pathOf('arn:aws:x/y')).toBe(join(root, 'arn%3Aaws%3Ax%2Fy.json'));
  });

  it('replaces the file on rewrite and leaves no temp files behind', async () => {
    const sink = new FileSink(root);
    await sink.write('k', envelope('first'));
    await sink.write('k', envelope('second'));
    expect(JSON.parse(await readFile(sink.pathOf('k'), 'utf8')).value).toBe('second');
    expect(await readdir(root)).toEqual(['k.json']);
  });

  it('removes a file, and ignores one that is already gone', async () => {
    const sink = new FileSink(root);
    await sink.write('k', envelope('v'));
    await sink.remove('k');
    await sink.remove('k');
    expect(await readdir(root)).toEqual([]);
  });

  it('never lets a concurrent reader see a partial file during many rewrites', async () => {
    const sink = new FileSink(root);
    const big = 'x'.repeat(256 * 1024);
    await sink.write('k', envelope(`${big}-0`));
    // A separate process reads in a tight loop while this one rewrites.
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');let ok=0,bad=0;const end=Date.now()+1500;
         while(Date.now()<end){try{const t=fs.readFileSync(process.argv[1],'utf8');JSON.parse(t);ok++;}catch(e){if(e.code!=='ENOENT')bad++;}}
         process.stdout.write(JSON.stringify({ok,bad}));`,
        sink.pathOf('k'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    reader.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise((r) => reader.once('exit', r));
    let n = 0;
    while (reader.exitCode === null && n < 2_000) {
      n += 1;
      await sink.write('k', envelope(`${big}-${n}`));
    }
    await exited;
    const { ok, bad } = JSON.parse(out) as { ok: number; bad: number };
    expect(n).toBeGreaterThan(20);
    expect(ok).toBeGreaterThan(20);
    expect(bad).toBe(0);
  });
});
