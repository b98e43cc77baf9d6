import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxError } from '../../../tools/sandbox/index.ts';
import { ackExtension, eventually, Fixture, isRunning } from '../../support/sandbox.ts';

let fx: Fixture;
beforeEach(async () => {
  fx = await Fixture.createWithEchoHandler();
});
afterEach(async () => {
  await fx.cleanup();
});

/** An extension that ignores SIGTERM and never registers. */
const STUCK_BEFORE_REGISTER = `
process.on('SIGTERM', () => {});
fs.writeFileSync(process.env.WORK_DIR + '/stuck.pid', String(process.pid));
setInterval(() => {}, 1000);
`;

describe('init deadline', () => {
  it('fails init with Sandbox.Timedout and SIGKILLs an extension that never registers', async () => {
    await fx.extension('stuck', STUCK_BEFORE_REGISTER);
    const sandbox = fx.sandbox({ initTimeoutMs: 600, shutdownTimeoutMs: 300 });
    const err = await sandbox.init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxError);
    expect((err as SandboxError).errorType).toBe('Sandbox.Timedout');
    expect((err as SandboxError).message).toContain('register');
    const pid = Number(await fx.readWork('stuck.pid'));
    expect(await isRunning(pid)).toBe(false);
    expect(sandbox.pids()).toEqual([]);
  });
});

describe('shutdown', () => {
  it('sends SHUTDOWN with reason and deadline; a prompt extension exits 0 within the deadline', async () => {
    await fx.extension(
      'polite',
      `
await register(['SHUTDOWN']);
const event = await next();
fs.writeFileSync(process.env.WORK_DIR + '/shutdown.json', JSON.stringify(event));
process.exit(0);
`,
    );
    const sandbox = fx.sandbox({ shutdownTimeoutMs: 1500 });
    await sandbox.invoke({});
    const startedAt = Date.now();
    const report = await sandbox.shutdown();
    const event = JSON.parse(await fx.readWork('shutdown.json'));
    expect(event.eventType).toBe('SHUTDOWN');
    expect(event.shutdownReason).toBe('spindown');
    expect(event.deadlineMs).toBeGreaterThanOrEqual(startedAt + 1500);
    expect(event.deadlineMs).toBeLessThanOrEqual(Date.now() + 1500);
    expect(report.extensions).toEqual([
      expect.objectContaining({ name: 'polite', exitCode: 0, withinDeadline: true }),
    ]);
    expect(report.runtime).toMatchObject({ signal: 'SIGTERM', withinDeadline: true });
    expect(report.problems).toEqual([]);
  });

  it('SIGKILLs an extension that ignores SHUTDOWN at the deadline and reports it', async () => {
    await fx.extension(
      'deaf',
      `
process.on('SIGTERM', () => {});
await register(['SHUTDOWN']);
fs.writeFileSync(process.env.WORK_DIR + '/deaf.pid', String(process.pid));
await next();
setInterval(() => {}, 1000);
`,
    );
    await fx.extension('polite', ackExtension(['SHUTDOWN']));
    const sandbox = fx.sandbox({ shutdownTimeoutMs: 500 });
    await sandbox.init();
    const report = await sandbox.shutdown();
    const deaf = report.extensions.find((e) => e.name === 'deaf');
    expect(deaf).toMatchObject({ signal: 'SIGKILL', withinDeadline: false });
    expect(report.extensions.find((e) => e.name === 'polite')).toMatchObject({
      exitCode: 0,
      withinDeadline: true,
    });
    expect(report.problems.join('\n')).toContain('"deaf" was still running at the deadline');
    expect(await isRunning(Number(await fx.readWork('deaf.pid')))).toBe(false);
  });

  it('sends SIGTERM to the runtime first and SIGKILLs it after its 300 ms share', async () => {
    await fx.handler(
      'index.mjs',
      `import fs from 'node:fs';
process.on('SIGTERM', () => fs.writeFileSync(process.env.WORK_DIR + '/runtime-term', 'seen'));
export const handler = async () => 'ok';
`,
    );
    await fx.extension(
      'observer',
      `
await register(['SHUTDOWN']);
await next();
fs.writeFileSync(process.env.WORK_DIR + '/order.json', JSON.stringify({
  runtimeTermedFirst: fs.existsSync(process.env.WORK_DIR + '/runtime-term'),
}));
process.exit(0);
`,
    );
    const sandbox = fx.sandbox();
    await sandbox.invoke({});
    const report = await sandbox.shutdown();
    expect(JSON.parse(await fx.readWork('order.json'))).toEqual({ runtimeTermedFirst: true });
    expect(report.runtime).toMatchObject({ signal: 'SIGKILL', withinDeadline: false });
    expect(report.problems).toContain('the runtime ignored SIGTERM and was SIGKILLed');
    expect(report.extensions[0]).toMatchObject({ exitCode: 0, withinDeadline: true });
  });

  it('reports a non-zero exit code at shutdown', async () => {
    await fx.extension(
      'sloppy',
      `
await register(['SHUTDOWN']);
await next();
process.exit(3);
`,
    );
    const sandbox = fx.sandbox();
    await sandbox.init();
    const report = await sandbox.shutdown();
    expect(report.extensions[0]).toMatchObject({ name: 'sloppy', exitCode: 3 });
    expect(report.problems).toContain('extension "sloppy" exited with code 3');
  });

  it('refuses to be used after shutdown', async () => {
    const sandbox = fx.sandbox({ extensionsDir: undefined });
    await sandbox.shutdown();
    await expect(sandbox.invoke({})).rejects.toMatchObject({ errorType: 'Sandbox.InvalidState' });
  });
});

describe('crashes', () => {
  it('reports Extension.Crash when an extension exits with code 0 outside SHUTDOWN, then re-inits', async () => {
    await fx.extension(
      'quitter',
      `
await register(['SHUTDOWN']);
const quit = process.env.WORK_DIR + '/quit';
setInterval(() => { if (fs.existsSync(quit)) { fs.rmSync(quit); process.exit(0); } }, 10);
await next();
`,
    );
    const sandbox = fx.sandbox({ freeze: false, shutdownTimeoutMs: 300 });
    await sandbox.init();
    expect(sandbox.failures()).toEqual([]);
    writeFileSync(fx.work('quit'), '1');
    expect(
      await eventually(() => sandbox.failures().some((f) => f.errorType === 'Extension.Crash')),
    ).toBe(true);
    const crash = sandbox.failures().find((f) => f.errorType === 'Extension.Crash');
    expect(crash?.source).toBe('extension:quitter');
    expect(crash?.message).toContain('exit status 0');
    const result = await sandbox.invoke({ after: 'crash' });
    expect(result.status).toBe('ok');
    expect(result.initDurationMs).toBeGreaterThan(0);
  });

  it('fails the invocation with Extension.Crash when an extension dies during it', async () => {
    await fx.extension(
      'fragile',
      `
await register(['INVOKE', 'SHUTDOWN']);
const event = await next();
if (event.eventType === 'INVOKE') process.exit(0);
`,
    );
    await fx.handler(
      'index.mjs',
      `export const handler = async () => new Promise(() => setInterval(() => {}, 1000));\n`,
    );
    const sandbox = fx.sandbox({ timeoutMs: 10_000 });
    const result = await sandbox.invoke({});
    expect(result.status).toBe('error');
    expect(result.error?.errorType).toBe('Extension.Crash');
    expect(result.resetReason).toBe('failure');
  });

  it('fails the invocation with Runtime.ExitError when the runtime process exits', async () => {
    await fx.handler('index.mjs', `export const handler = async () => process.exit(2);\n`);
    const sandbox = fx.sandbox({ extensionsDir: undefined });
    const result = await sandbox.invoke({});
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ errorType: 'Runtime.ExitError' });
    expect(result.error?.errorMessage).toContain('exit status 2');
  });
});

describe('exit/error', () => {
  it('records an exit/error report with its type and body during shutdown', async () => {
    await fx.extension(
      'flusher',
      `
await register(['SHUTDOWN']);
await next();
const res = await api('POST', '/exit/error', {
  headers: { 'Lambda-Extension-Identifier': id, 'Lambda-Extension-Function-Error-Type': 'Extension.FlushFailed' },
  body: { errorMessage: 'could not flush', errorType: 'Extension.FlushFailed' },
});
fs.writeFileSync(process.env.WORK_DIR + '/exit-error.json', JSON.stringify([res.status, res.json]));
process.exit(1);
`,
    );
    const sandbox = fx.sandbox();
    await sandbox.init();
    const report = await sandbox.shutdown();
    expect(JSON.parse(await fx.readWork('exit-error.json'))).toEqual([202, { status: 'OK' }]);
    expect(report.problems).toContain('extension:flusher: Extension.FlushFailed: could not flush');
    expect(sandbox.failures().at(-1)?.body).toEqual({
      errorMessage: 'could not flush',
      errorType: 'Extension.FlushFailed',
    });
  });
});

describe('output', () => {
  it('captures every process line with its source and stream, and reports it live', async () => {
    await fx.extension(
      'chatty',
      `
console.log('hello from the extension');
console.error('a warning');
${ackExtension(['SHUTDOWN'])}`,
    );
    await fx.handler(
      'index.mjs',
      `export const handler = async () => { console.log('inside the handler'); return 1; };\n`,
    );
    const live: string[] = [];
    const sandbox = fx.sandbox({
      onOutput: (l) => live.push(`${l.source}/${l.stream}: ${l.line}`),
    });
    await sandbox.invoke({});
    expect(await eventually(() => live.includes('runtime/stdout: inside the handler'))).toBe(true);
    expect(live).toContain('extension:chatty/stdout: hello from the extension');
    expect(live).toContain('extension:chatty/stderr: a warning');
    expect(sandbox.output.find((l) => l.line === 'a warning')).toMatchObject({
      source: 'extension:chatty',
      stream: 'stderr',
    });
  });
});
