import { describe, expect, it } from 'vitest';
import { effectiveLogLevel, Logger } from '../../../shared/logger.ts';
import { Redactor } from '../../../shared/redact.ts';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const lines: string[] = [];
  const redactor = new Redactor();
  const log = new Logger({
    service: 'svc',
    level,
    redactor,
    sink: (l) => lines.push(l),
    now: () => Date.UTC(2026, 0, 2, 3, 4, 5),
  });
  return { log, lines, redactor };
}

describe('Logger', () => {
  it('writes one JSON line with the fixed keys first', () => {
    const { log, lines } = capture();
    log.child('cache').info('refreshed', { secretId: 's1' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      level: 'info',
      message: 'refreshed',
      timestamp: '2026-01-02T03:04:05.000Z',
      service: 'svc',
      component: 'cache',
      secretId: 's1',
    });
  });

  it('drops lines below its level', () => {
    const { log, lines } = capture('warn');
    log.info('quiet');
    log.warn('loud');
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(['loud']);
  });

  it('never writes a registered secret value', () => {
    const { log, lines, redactor } = capture();
    redactor.register('CANARY-logger-1');
    log.error('upstream said CANARY-logger-1', {
      detail: 'CANARY-logger-1',
      err: new Error('CANARY-logger-1'),
    });
    expect(lines.join('\n')).not.toContain('CANARY-logger-1');
  });

  it('never writes an authorization header value', () => {
    const { log, lines } = capture();
    log.info('request', { headers: { authorization: 'opaque-credential-value' } });
    expect(lines[0]).not.toContain('opaque-credential-value');
  });
});

describe('effectiveLogLevel', () => {
  it.each([
    ['info', undefined, 'info'],
    ['info', 'DEBUG', 'debug'],
    ['debug', 'WARN', 'warn'],
    ['info', 'TRACE', 'debug'],
    ['info', 'FATAL', 'error'],
    ['warn', 'bogus', 'warn'],
  ] as const)('own %s with AWS_LAMBDA_LOG_LEVEL %s → %s', (own, lambda, expected) => {
    expect(effectiveLogLevel(own, lambda)).toBe(expected);
  });
});
