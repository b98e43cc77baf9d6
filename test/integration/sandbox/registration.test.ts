import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxError } from '../../../tools/sandbox/index.ts';
import { ackExtension, Fixture } from '../../support/sandbox.ts';

let fx: Fixture;
beforeEach(async () => {
  fx = await Fixture.createWithEchoHandler();
});
afterEach(async () => {
  await fx.cleanup();
});

/** Extension body that records the answer of each probe call in WORK_DIR/<name>.json. */
function probing(probes: string): string {
  return `
const answers = {};
const record = (key, res) => { answers[key] = { status: res.status, body: res.json }; };
${probes}
fs.writeFileSync(process.env.WORK_DIR + '/answers.json', JSON.stringify(answers));
for (;;) { const e = await next(); if (e.eventType === 'SHUTDOWN') process.exit(0); }
`;
}

describe('registration', () => {
  it('rejects a Lambda-Extension-Name that is not a launched file name', async () => {
    await fx.extension(
      'cache',
      probing(`
record('wrong', await api('POST', '/register', { headers: { 'Lambda-Extension-Name': 'not-me' }, body: { events: [] } }));
record('empty', await api('POST', '/register', { headers: {}, body: { events: [] } }));
await register(['SHUTDOWN']);
`),
    );
    const sandbox = fx.sandbox();
    await sandbox.init();
    const answers = JSON.parse(await fx.readWork('answers.json'));
    expect(answers.wrong.status).toBe(403);
    expect(answers.wrong.body.errorType).toBe('Extension.InvalidExtensionName');
    expect(answers.wrong.body.errorMessage).toContain('cache');
    expect(answers.empty.body.errorType).toBe('Extension.InvalidExtensionName');
    expect(sandbox.registrations().map((r) => r.name)).toEqual(['cache']);
  });

  it('rejects event types other than INVOKE and SHUTDOWN', async () => {
    await fx.extension(
      'cache',
      probing(`
record('bad', await api('POST', '/register', { headers: { 'Lambda-Extension-Name': NAME }, body: { events: ['INVOKE', 'LOGS'] } }));
await register([]);
`),
    );
    await fx.sandbox().init();
    const answers = JSON.parse(await fx.readWork('answers.json'));
    expect(answers.bad).toMatchObject({
      status: 403,
      body: { errorType: 'Extension.InvalidEventType' },
    });
  });

  it('requires a valid, known Lambda-Extension-Identifier on later calls', async () => {
    await fx.extension(
      'cache',
      probing(`
await register(['SHUTDOWN']);
record('missing', await api('GET', '/event/next'));
record('malformed', await api('GET', '/event/next', { headers: { 'Lambda-Extension-Identifier': 'abc' } }));
record('unknown', await api('GET', '/event/next', { headers: { 'Lambda-Extension-Identifier': '00000000-0000-4000-8000-000000000000' } }));
`),
    );
    await fx.sandbox().init();
    const answers = JSON.parse(await fx.readWork('answers.json'));
    expect(answers.missing.status).toBe(403);
    expect(answers.missing.body.errorType).toBe('Extension.MissingExtensionIdentifier');
    expect(answers.malformed.body.errorType).toBe('Extension.InvalidExtensionIdentifier');
    expect(answers.unknown.body.errorType).toBe('Extension.UnknownExtensionIdentifier');
  });

  it('closes registration once init is complete', async () => {
    await fx.extension('cache', ackExtension(['SHUTDOWN']));
    const sandbox = fx.sandbox();
    await sandbox.init();
    const res = await fetch(`http://${sandbox.runtimeApi}/2020-01-01/extension/register`, {
      method: 'POST',
      headers: { 'Lambda-Extension-Name': 'cache' },
      body: JSON.stringify({ events: ['SHUTDOWN'] }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ errorType: 'Extension.RegistrationClosed' });
  });

  it('starts the runtime only after every launched extension has registered', async () => {
    // Both extensions write a marker before registering; the handler's module-scope code
    // (which runs at runtime start) records which markers it saw.
    for (const name of ['a-fast', 'b-slow']) {
      await fx.extension(
        name,
        `
await new Promise((r) => setTimeout(r, ${name === 'b-slow' ? 400 : 0}));
fs.writeFileSync(process.env.WORK_DIR + '/' + NAME + '.ready', 'yes');
await register(['SHUTDOWN']);
for (;;) { const e = await next(); if (e.eventType === 'SHUTDOWN') process.exit(0); }
`,
      );
    }
    await fx.handler(
      'index.mjs',
      `import fs from 'node:fs';
const seen = ['a-fast', 'b-slow'].filter((n) => fs.existsSync(process.env.WORK_DIR + '/' + n + '.ready'));
export const handler = async () => ({ seen });
`,
    );
    const sandbox = fx.sandbox();
    const report = await sandbox.init();
    const result = await sandbox.invoke({});
    expect(result.payload).toEqual({ seen: ['a-fast', 'b-slow'] });
    const lastRegistration = Math.max(...report.extensions.map((e) => e.registeredAt));
    expect(report.runtime.spawnedAt).toBeGreaterThanOrEqual(lastRegistration);
    expect(report.extensions.map((e) => e.name)).toEqual(['a-fast', 'b-slow']);
  });

  it('answers the registration with the function name, version and handler', async () => {
    await fx.extension(
      'cache',
      probing(`
const res = await register(['SHUTDOWN']);
answers.register = res.json;
`),
    );
    await fx.sandbox({ functionName: 'my-fn' }).init();
    const answers = JSON.parse(await fx.readWork('answers.json'));
    expect(answers.register).toEqual({
      functionName: 'my-fn',
      functionVersion: '$LATEST',
      handler: 'index.handler',
    });
  });

  it('fails init with Extension.LaunchError when a file is not executable', async () => {
    await fx.extension('not-exec', ackExtension(['SHUTDOWN']), 0o644);
    const sandbox = fx.sandbox();
    const err = await sandbox.init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxError);
    expect((err as SandboxError).errorType).toBe('Extension.LaunchError');
    expect((err as SandboxError).message).toContain('not-exec');
  });

  it('ignores subdirectories of the extensions directory', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(`${fx.extensionsDir}/lib`);
    await fx.extension('cache', ackExtension(['SHUTDOWN']));
    const sandbox = fx.sandbox();
    const report = await sandbox.init();
    expect(report.extensions.map((e) => e.name)).toEqual(['cache']);
  });
});

describe('other routes', () => {
  it('accepts a Telemetry API subscription with 202 like RIE', async () => {
    const sandbox = fx.sandbox({ extensionsDir: undefined });
    await sandbox.init();
    const res = await fetch(`http://${sandbox.runtimeApi}/2022-07-01/telemetry`, {
      method: 'PUT',
      body: JSON.stringify({ schemaVersion: '2022-07-01' }),
    });
    expect(res.status).toBe(202);
  });

  it('answers unknown routes with 404', async () => {
    const sandbox = fx.sandbox({ extensionsDir: undefined });
    await sandbox.init();
    const res = await fetch(`http://${sandbox.runtimeApi}/2020-01-01/nothing-here`);
    expect(res.status).toBe(404);
  });

  it('rejects a runtime response for an unknown request id', async () => {
    const sandbox = fx.sandbox({ extensionsDir: undefined });
    await sandbox.init();
    const res = await fetch(
      `http://${sandbox.runtimeApi}/2018-06-01/runtime/invocation/not-a-request/response`,
      { method: 'POST', body: '{}' },
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errorType: 'InvalidRequestID' });
  });
});

/** A bash extension that registers over /dev/tcp (no curl needed), prints the status line and lingers. */
const BASH_REGISTERING_EXTENSION = `#!/usr/bin/env bash
set -euo pipefail
name="$(basename "$0")"
host="\${AWS_LAMBDA_RUNTIME_API%:*}"
port="\${AWS_LAMBDA_RUNTIME_API#*:}"
body='{"events":[]}'
exec 3<>"/dev/tcp/$host/$port"
printf 'POST /2020-01-01/extension/register HTTP/1.1\\r\\nHost: %s\\r\\nLambda-Extension-Name: %s\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s' "$host" "$name" "\${#body}" "$body" >&3
IFS= read -r status <&3
echo "register: $status"
exec sleep 60
`;

describe('extension limit', () => {
  it('fails init with Extension.TooManyExtensions when an eleventh extension registers', async () => {
    for (let i = 0; i < 11; i++) {
      await fx.rawExtension(`ext-${String(i).padStart(2, '0')}`, BASH_REGISTERING_EXTENSION);
    }
    const sandbox = fx.sandbox({ shutdownTimeoutMs: 300 });
    const err = await sandbox.init().catch((e: unknown) => e);
    expect((err as SandboxError).errorType).toBe('Extension.TooManyExtensions');
    const refused = sandbox.failures().filter((f) => f.errorType === 'Extension.TooManyExtensions');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.source).toMatch(/^extension:ext-\d\d$/);
    expect(sandbox.pids()).toEqual([]);
  });
});
