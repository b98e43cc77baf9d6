import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CRASH_TEXT_LIMIT, crashLine } from '../../../shared/crash.ts';
import { REDACTED, Redactor } from '../../../shared/redact.ts';

const CANARY = 'CANARY-crash-4f1d0c9e';
const dir = mkdtempSync(join(tmpdir(), 'crash-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `body` in a fresh node process with the crash handlers installed and a secret registered. */
function crash(body: string) {
  const script = join(dir, `crash-${Math.random().toString(36).slice(2)}.ts`);
  const shared = (m: string) => pathToFileURL(join(process.cwd(), 'shared', m)).href;
  writeFileSync(
    script,
    `import { installCrashHandlers } from '${shared('crash.ts')}';
     import { globalRedactor } from '${shared('redact.ts')}';
     globalRedactor.register(${JSON.stringify(CANARY)});
     installCrashHandlers({ redactor: globalRedactor, service: 'test' });
     ${body}`,
  );
  return spawnSync(process.execPath, ['--import', 'tsx', script], {
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('the crash path', () => {
  it('prints one bounded line without the secret when an error quoting it is uncaught, and exits 1', () => {
    const run = crash(
      `setTimeout(() => { throw new Error('bad ${CANARY} ' + 'x'.repeat(100000)); });`,
    );
    expect(run.status).toBe(1);
    expect(run.stderr).not.toContain(CANARY);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '{}') as { message: string; error: string };
    expect(line.message).toBe('uncaught exception');
    expect(line.error).toContain(REDACTED);
    expect(run.stderr.length).toBeLessThan(CRASH_TEXT_LIMIT + 5_000);
  });

  it('logs an unhandled rejection redacted and keeps running', () => {
    const run = crash(
      `Promise.reject(new Error('no ${CANARY}')); setTimeout(() => console.log('alive'), 50);`,
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('alive');
    expect(run.stderr).toContain('unhandled rejection');
    expect(run.stderr).not.toContain(CANARY);
  });

  it('falls back to a fixed line when the error cannot even be read', () => {
    const r = new Redactor();
    const hostile = new Proxy(new Error('x'), {
      get() {
        throw new Error('no');
      },
    });
    expect(JSON.parse(crashLine(r, 'svc', 'boom', hostile))).toMatchObject({ level: 'error' });
  });
});
