import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Fixture, processState } from '../../support/sandbox.ts';

let fx: Fixture;
beforeEach(async () => {
  fx = await Fixture.create();
  // A 100 ms interval counter that writes its value to WORK_DIR/ticks on every tick.
  await fx.extension(
    'ticker',
    `
let ticks = 0;
setInterval(() => { ticks += 1; fs.writeFileSync(process.env.WORK_DIR + '/ticks', String(ticks)); }, 100);
await register(['INVOKE', 'SHUTDOWN']);
for (;;) { const e = await next(); if (e.eventType === 'SHUTDOWN') process.exit(0); }
`,
  );
  // The handler reports the ticker's scheduler state while the invocation runs.
  await fx.handler(
    'index.mjs',
    `import fs from 'node:fs';
export const handler = async (event) => ({ state: fs.readFileSync('/proc/' + event.pid + '/stat', 'utf8').split(') ')[1].split(' ')[0] });
`,
  );
});
afterEach(async () => {
  await fx.cleanup();
});

async function ticks(): Promise<number> {
  return Number(await fx.readWork('ticks').catch(() => '0'));
}

describe('freeze', () => {
  it('stops timers while idle: the counter does not advance and the process is stopped (T)', async () => {
    const sandbox = fx.sandbox();
    await sandbox.init();
    expect(sandbox.frozen).toBe(true);
    const pid = sandbox.pids().find((p) => p.source === 'extension:ticker')?.pid ?? 0;
    expect(await processState(pid)).toBe('T');
    expect(await processState(sandbox.pids().find((p) => p.source === 'runtime')?.pid ?? 0)).toBe(
      'T',
    );
    const before = await ticks();
    await sandbox.idle(700);
    expect(await ticks()).toBe(before);
    expect(await processState(pid)).toBe('T');
  });

  it('thaws every process (SIGCONT) before the next invoke and freezes again after it', async () => {
    const sandbox = fx.sandbox();
    await sandbox.init();
    const pid = sandbox.pids().find((p) => p.source === 'extension:ticker')?.pid ?? 0;
    const result = await sandbox.invoke({ pid });
    expect(result.status).toBe('ok');
    expect((result.payload as { state: string }).state).not.toBe('T');
    expect(sandbox.frozen).toBe(true);
    expect(await processState(pid)).toBe('T');
  });

  it('keeps timers running between invokes with freeze: false', async () => {
    const sandbox = fx.sandbox({ freeze: false });
    await sandbox.init();
    expect(sandbox.frozen).toBe(false);
    const before = await ticks();
    await sandbox.idle(700);
    expect(await ticks()).toBeGreaterThan(before);
  });
});
