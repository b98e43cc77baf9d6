import { describe, expect, it } from 'vitest';
import { Agent, type LongPoll, type QueuedEvent } from '../../../tools/sandbox/agent.ts';
import {
  ExtensionRegistry,
  isRefusal,
  MAX_EXTENSIONS,
} from '../../../tools/sandbox/extension-registry.ts';
import { HandlerLoadError, parseHandler } from '../../../tools/sandbox/handler-loader.ts';
import { PreludeSplitter } from '../../../tools/sandbox/streaming.ts';

function poll(): LongPoll & { sent: QueuedEvent[] } {
  const sent: QueuedEvent[] = [];
  return {
    sent,
    closed: false,
    send(event) {
      sent.push(event);
      return true;
    },
  };
}

describe('ExtensionRegistry', () => {
  const names = Array.from({ length: MAX_EXTENSIONS + 1 }, (_, i) => `ext-${i}`);

  it('allows at most ten extensions to register', () => {
    const registry = new ExtensionRegistry(names, () => undefined);
    for (const name of names.slice(0, MAX_EXTENSIONS)) {
      expect(isRefusal(registry.register(name, { events: [] }, []))).toBe(false);
    }
    const refused = registry.register(names[MAX_EXTENSIONS], { events: [] }, []);
    expect(refused).toMatchObject({ status: 403, errorType: 'Extension.TooManyExtensions' });
  });

  it('refuses a second registration under the same name', () => {
    const registry = new ExtensionRegistry(['a'], () => undefined);
    registry.register('a', { events: ['SHUTDOWN'] }, []);
    expect(registry.register('a', { events: [] }, [])).toMatchObject({
      errorType: 'Extension.InvalidExtensionState',
    });
  });

  it.each([
    [{ events: 'INVOKE' }, 'InvalidRequestFormat'],
    [{ events: ['INVOKE'], configurationKeys: ['x'] }, 'InvalidRequestFormat'],
    [{ events: ['shutdown'] }, 'Extension.InvalidEventType'],
    ['not json', 'InvalidRequestFormat'],
  ])('refuses the registration body %j with %s', (body, errorType) => {
    const registry = new ExtensionRegistry(['a'], () => undefined);
    expect(registry.register('a', body, [])).toMatchObject({ status: 403, errorType });
  });

  it('treats a missing events list as no events and remembers the accountId feature', () => {
    const registry = new ExtensionRegistry(['a'], () => undefined);
    const registration = registry.register('a', {}, ['accountId']);
    expect(registration).toMatchObject({ events: [], wantsAccountId: true });
  });
});

describe('Agent', () => {
  it('is busy until its first poll, then parks the poll until an event is queued', () => {
    const agent = new Agent(() => undefined);
    expect(agent.busy).toBe(true);
    const first = poll();
    agent.poll(first);
    expect(agent.busy).toBe(false);
    agent.enqueue({ body: '{"n":1}', headers: {} });
    expect(first.sent.map((e) => e.body)).toEqual(['{"n":1}']);
    expect(agent.busy).toBe(true);
    agent.poll(poll());
    expect(agent.busy).toBe(false);
  });

  it('delivers an event queued while busy on the next poll without becoming idle', () => {
    const agent = new Agent(() => undefined);
    agent.poll(poll());
    agent.enqueue({ body: 'a', headers: {} });
    agent.enqueue({ body: 'b', headers: {} });
    const second = poll();
    agent.poll(second);
    expect(second.sent.map((e) => e.body)).toEqual(['b']);
    expect(agent.busy).toBe(true);
  });
});

describe('PreludeSplitter', () => {
  it('splits a prelude delivered across chunks from the body', () => {
    const splitter = new PreludeSplitter();
    const wire = Buffer.concat([
      Buffer.from('{"statusCode":200,"headers":{"a":"b"}}'),
      Buffer.alloc(8),
      Buffer.from('body'),
    ]);
    const out = [splitter.push(wire.subarray(0, 10)), splitter.push(wire.subarray(10, 44))];
    out.push(splitter.push(wire.subarray(44)));
    expect(Buffer.concat(out).toString()).toBe('body');
    expect(splitter.prelude).toEqual({ statusCode: 200, headers: { a: 'b' } });
  });
});

describe('parseHandler', () => {
  it.each([
    ['index.handler', 'index', ['handler']],
    ['src/app.main', 'src/app', ['main']],
    ['lib.v1/index.obj.fn', 'lib.v1/index', ['obj', 'fn']],
  ])('parses %s', (handler, module, exportPath) => {
    expect(parseHandler(handler)).toEqual({ module, exportPath });
  });

  it.each(['index', 'index.', '.handler'])('rejects the malformed handler %j', (handler) => {
    expect(() => parseHandler(handler)).toThrow(HandlerLoadError);
  });
});
