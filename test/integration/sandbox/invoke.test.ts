import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LambdaSandbox, SandboxError } from '../../../tools/sandbox/index.ts';
import { ackExtension, ECHO_HANDLER, Fixture, isRunning } from '../../support/sandbox.ts';

let fx: Fixture;
beforeEach(async () => {
  fx = await Fixture.create();
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fx.cleanup();
});

/** Extension that appends every event it receives to WORK_DIR/<name>.events (JSON lines). */
const RECORDING_EXTENSION = `
await register(['INVOKE', 'SHUTDOWN']);
for (;;) {
  const event = await next();
  fs.appendFileSync(process.env.WORK_DIR + '/' + NAME + '.events', JSON.stringify(event) + '\\n');
  if (event.eventType === 'SHUTDOWN') process.exit(0);
}
`;

async function events(name: string): Promise<Record<string, unknown>[]> {
  const text = await fx.readWork(`${name}.events`).catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('invoke', () => {
  it('delivers INVOKE with an epoch-ms deadline, the request id and the function ARN', async () => {
    await fx.extension('recorder', RECORDING_EXTENSION);
    await fx.handler(
      'index.mjs',
      `export const handler = async (event, context) => ({
  remaining: context.getRemainingTimeInMillis(),
  arn: context.invokedFunctionArn,
  requestId: context.awsRequestId,
  functionName: context.functionName,
});\n`,
    );
    const sandbox = fx.sandbox({ functionName: 'fn-under-test', timeoutMs: 2000 });
    const before = Date.now();
    const result = await sandbox.invoke({ hello: 'world' });
    const after = Date.now();
    expect(result.status).toBe('ok');
    const [invoke] = await events('recorder');
    expect(invoke).toMatchObject({
      eventType: 'INVOKE',
      requestId: result.requestId,
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fn-under-test',
      tracing: { type: 'X-Amzn-Trace-Id' },
    });
    expect(invoke?.deadlineMs).toBeGreaterThanOrEqual(before + 2000);
    expect(invoke?.deadlineMs).toBeLessThanOrEqual(after + 2000);
    const payload = result.payload as Record<string, unknown>;
    expect(payload.requestId).toBe(result.requestId);
    expect(payload.arn).toBe(invoke?.invokedFunctionArn);
    expect(payload.functionName).toBe('fn-under-test');
    expect(payload.remaining).toBeGreaterThan(0);
    expect(payload.remaining).toBeLessThanOrEqual(2000);
  });

  it('returns the response before INVOKE subscribers finish, and completes after they do', async () => {
    // The extension holds its INVOKE until the test has seen the response.
    await fx.extension(
      'slow',
      `
await register(['INVOKE', 'SHUTDOWN']);
for (;;) {
  const event = await next();
  if (event.eventType === 'SHUTDOWN') process.exit(0);
  while (!fs.existsSync(process.env.WORK_DIR + '/response-seen')) await new Promise((r) => setTimeout(r, 10));
  fs.rmSync(process.env.WORK_DIR + '/response-seen');
}
`,
    );
    await fx.handler('index.mjs', ECHO_HANDLER);
    const sandbox = fx.sandbox();
    let seenBeforeDone: unknown;
    const result = await sandbox.invoke(
      { n: 1 },
      {
        onResponse: (r) => {
          seenBeforeDone = r.payload;
          writeFileSync(fx.work('response-seen'), '1');
        },
      },
    );
    expect(seenBeforeDone).toMatchObject({ echo: { n: 1 } });
    expect(result.durationMs).toBeLessThanOrEqual(result.extensionsDoneMs);
    expect(result.status).toBe('ok');
  });

  it('reports a handler error with its type and message without resetting', async () => {
    await fx.handler(
      'index.mjs',
      `let calls = 0;
export const handler = async () => { calls += 1; if (calls === 1) throw new TypeError('bad input'); return { calls }; };\n`,
    );
    const sandbox = fx.sandbox({ extensionsDir: undefined });
    const failed = await sandbox.invoke({});
    expect(failed.status).toBe('error');
    expect(failed.error).toEqual({ errorType: 'TypeError', errorMessage: 'bad input' });
    expect((failed.payload as { trace: unknown[] }).trace.length).toBeGreaterThan(0);
    const ok = await sandbox.invoke({});
    expect(ok.payload).toEqual({ calls: 2 });
    expect(ok.initDurationMs).toBeUndefined();
  });

  it('supports callback-style handlers', async () => {
    await fx.handler(
      'index.js',
      `exports.handler = (event, context, callback) => { setTimeout(() => callback(null, { doubled: event.n * 2 }), 10); };\n`,
    );
    const sandbox = fx.sandbox({ extensionsDir: undefined });
    const result = await sandbox.invoke({ n: 21 });
    expect(result.payload).toEqual({ doubled: 42 });
  });

  it('times out, resets with SHUTDOWN reason timeout, and re-inits on the next invoke', async () => {
    await fx.extension('recorder', RECORDING_EXTENSION);
    await fx.handler(
      'index.mjs',
      `export const handler = async (event) => { if (event.hang) await new Promise(() => setInterval(() => {}, 1000)); return 'done'; };\n`,
    );
    const sandbox = fx.sandbox({ timeoutMs: 400, shutdownTimeoutMs: 1000 });
    await sandbox.init();
    const firstRuntime = sandbox.pids().find((p) => p.source === 'runtime')?.pid ?? 0;
    const timedOut = await sandbox.invoke({ hang: true });
    expect(timedOut.status).toBe('timeout');
    expect(timedOut.error?.errorType).toBe('Sandbox.Timedout');
    expect(timedOut.error?.errorMessage).toContain('Task timed out after 0.40 seconds');
    expect(timedOut.resetReason).toBe('timeout');
    expect(await isRunning(firstRuntime)).toBe(false);
    const shutdown = (await events('recorder')).find((e) => e.eventType === 'SHUTDOWN');
    expect(shutdown?.shutdownReason).toBe('timeout');

    const next = await sandbox.invoke({ hang: false });
    expect(next.status).toBe('ok');
    expect(next.payload).toBe('done');
    expect(next.initDurationMs).toBeGreaterThan(0);
    const secondRuntime = sandbox.pids().find((p) => p.source === 'runtime')?.pid;
    expect(secondRuntime).not.toBe(firstRuntime);
  });

  it('reports Function.ResponseSizeTooLarge for a buffered response over 6 MB', async () => {
    await fx.handler(
      'index.mjs',
      `export const handler = async () => 'x'.repeat(7 * 1024 * 1024);\n`,
    );
    const sandbox = fx.sandbox({ extensionsDir: undefined });
    const result = await sandbox.invoke({});
    expect(result.status).toBe('error');
    expect(result.error?.errorType).toBe('Function.ResponseSizeTooLarge');
  });
});

describe('environment', () => {
  it('gives extensions Lambda variables and the function env, but not runtime-only or host variables', async () => {
    vi.stubEnv('SANDBOX_HOST_ONLY', 'must-not-leak');
    await fx.extension(
      'env-dump',
      `fs.writeFileSync(process.env.WORK_DIR + '/ext-env.json', JSON.stringify(process.env));
${ackExtension(['SHUTDOWN'])}`,
    );
    await fx.handler('index.mjs', `export const handler = async () => ({ ...process.env });\n`);
    const sandbox = fx.sandbox({
      functionName: 'env-fn',
      memorySizeMb: 256,
      region: 'eu-west-1',
      env: { MY_SETTING: 'on' },
    });
    const result = await sandbox.invoke({});
    const ext = JSON.parse(await fx.readWork('ext-env.json')) as Record<string, string>;
    const runtime = result.payload as Record<string, string>;
    for (const env of [ext, runtime]) {
      expect(env).toMatchObject({
        AWS_LAMBDA_RUNTIME_API: sandbox.runtimeApi,
        AWS_SESSION_TOKEN: sandbox.sessionToken,
        AWS_REGION: 'eu-west-1',
        AWS_DEFAULT_REGION: 'eu-west-1',
        AWS_LAMBDA_FUNCTION_NAME: 'env-fn',
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        TZ: ':UTC',
        MY_SETTING: 'on',
      });
      expect(env.AWS_ACCESS_KEY_ID).toMatch(/^ASIA[A-Z2-7]{16}$/);
      expect(env.AWS_SECRET_ACCESS_KEY).toBeTruthy();
      expect(env.PATH).toBeTruthy();
      expect(env.HOME).toBeTruthy();
      expect(env.SANDBOX_HOST_ONLY).toBeUndefined();
    }
    expect(ext._HANDLER).toBeUndefined();
    expect(ext.LAMBDA_TASK_ROOT).toBeUndefined();
    expect(runtime._HANDLER).toBe('index.handler');
    expect(runtime.LAMBDA_TASK_ROOT).toBe(fx.taskRoot);
  });

  it('uses the credentials it is given', async () => {
    await fx.handler(
      'index.mjs',
      `export const handler = async () => process.env.AWS_ACCESS_KEY_ID;\n`,
    );
    const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'tok' };
    const sandbox = fx.sandbox({ extensionsDir: undefined, credentials });
    expect(sandbox.sessionToken).toBe('tok');
    expect((await sandbox.invoke({})).payload).toBe('testing');
  });

  it.each([['AWS_REGION'], ['AWS_SESSION_TOKEN'], ['_HANDLER'], ['AWS_LAMBDA_RUNTIME_API']])(
    'refuses the reserved variable %s in the function env',
    (key) => {
      expect(
        () =>
          new LambdaSandbox({
            taskRoot: fx.taskRoot,
            handler: 'index.handler',
            env: { [key]: 'x' },
          }),
      ).toThrow(SandboxError);
    },
  );
});

describe('init failures', () => {
  it('fails init with the type an extension reports through init/error', async () => {
    await fx.extension(
      'config-check',
      `
await register(['SHUTDOWN']);
const noHeader = await api('POST', '/init/error', { headers: { 'Lambda-Extension-Identifier': id }, body: {} });
const res = await api('POST', '/init/error', {
  headers: { 'Lambda-Extension-Identifier': id, 'Lambda-Extension-Function-Error-Type': 'Extension.ConfigInvalid' },
  body: { errorMessage: 'SECRET_IDS must not be empty', errorType: 'Extension.ConfigInvalid' },
});
fs.writeFileSync(process.env.WORK_DIR + '/answers.json', JSON.stringify({ noHeader: [noHeader.status, noHeader.json], res: [res.status, res.json] }));
process.exit(1);
`,
    );
    await fx.handler('index.mjs', ECHO_HANDLER);
    const sandbox = fx.sandbox();
    const err = await sandbox.init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxError);
    expect((err as SandboxError).errorType).toBe('Extension.ConfigInvalid');
    const answers = JSON.parse(await fx.readWork('answers.json'));
    expect(answers.res).toEqual([202, { status: 'OK' }]);
    expect(answers.noHeader[0]).toBe(403);
    expect(answers.noHeader[1].errorType).toBe('Extension.MissingHeader');
    const failure = sandbox.failures().find((f) => f.source === 'extension:config-check');
    expect(failure?.body).toEqual({
      errorMessage: 'SECRET_IDS must not be empty',
      errorType: 'Extension.ConfigInvalid',
    });
    expect(sandbox.pids()).toEqual([]);
  });

  it.each([
    ['module-scope throw', 'index.mjs', `throw new RangeError('no config');\n`, 'RangeError'],
    [
      'missing module',
      'other.mjs',
      `export const handler = () => 1;\n`,
      'Runtime.ImportModuleError',
    ],
    ['missing export', 'index.mjs', `export const other = () => 1;\n`, 'Runtime.HandlerNotFound'],
  ])('reports a runtime init error (%s) with its type', async (_case, file, source, errorType) => {
    await fx.handler(file, source);
    const sandbox = fx.sandbox({ extensionsDir: undefined });
    const err = await sandbox.init().catch((e: unknown) => e);
    expect((err as SandboxError).errorType).toBe(errorType);
  });

  it('returns the init error as the result of an invoke that had to init', async () => {
    await fx.handler('index.mjs', `throw new Error('broken init');\n`);
    const sandbox = fx.sandbox({ extensionsDir: undefined });
    const result = await sandbox.invoke({});
    expect(result.status).toBe('error');
    expect(result.error?.errorType).toBe('Error');
    expect(result.error?.errorMessage).toContain('broken init');
  });
});
