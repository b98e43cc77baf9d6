import { describe, expect, it } from 'vitest';
import { actionOf, Caller, callerOf } from '../../../tools/bench/counting-proxy.ts';
import { emfValues } from '../../../tools/bench/emf.ts';
import { callgrindTotal } from '../../../tools/bench/instructions.ts';
import { cpuModel, osName } from '../../../tools/bench/machine.ts';
import { DIRECT_USER_AGENT } from '../../../tools/bench/methods.ts';
import { parseProcStatus } from '../../../tools/bench/rss.ts';

describe('parseProcStatus', () => {
  it('reads VmRSS, VmHWM, RssAnon and RssFile in bytes', () => {
    const status =
      'Name:\tnode\nVmHWM:\t   80000 kB\nVmRSS:\t   75264 kB\nRssAnon:\t   33000 kB\nRssFile:\t   42000 kB\nThreads:\t11\n';
    expect(parseProcStatus(status)).toEqual({
      rssBytes: 75264 * 1024,
      peakRssBytes: 80000 * 1024,
      anonBytes: 33000 * 1024,
      fileBytes: 42000 * 1024,
    });
  });

  it('names the missing line', () => {
    expect(() => parseProcStatus('Name:\tnode\n')).toThrow(/VmRSS/);
  });
});

describe('machine description', () => {
  it('takes the first CPU model name', () => {
    const cpuinfo =
      'processor\t: 0\nmodel name\t: AMD EPYC 7R13 Processor\n\nprocessor\t: 1\nmodel name\t: other\n';
    expect(cpuModel(cpuinfo)).toBe('AMD EPYC 7R13 Processor');
    expect(cpuModel('processor\t: 0\n')).toBeUndefined();
  });

  it('takes the pretty OS name', () => {
    expect(osName('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')).toBe(
      'Debian GNU/Linux 12 (bookworm)',
    );
  });
});

describe('emfValues', () => {
  it('collects single and array values of one metric from EMF lines only', () => {
    const lines = [
      '{"level":"info","message":"fetched","UpstreamLatency":999}',
      '{"_aws":{"Timestamp":1},"FunctionName":"f","UpstreamLatency":24,"Refresh":1}',
      'not json {"_aws"',
      '{"_aws":{"Timestamp":2},"UpstreamLatency":[3,5]}',
    ];
    expect(emfValues(lines, 'UpstreamLatency')).toEqual([24, 3, 5]);
  });
});

describe('counting proxy classification', () => {
  it.each([
    [{ 'user-agent': `aws-sdk-js/3 ${DIRECT_USER_AGENT}` }, Caller.Direct],
    [
      { 'x-amz-user-agent': 'aws-sdk-js/3 PT/parameters/2.33.0 PTEnv/nodejs20x' },
      Caller.Powertools,
    ],
    [{ 'user-agent': 'aws-sdk-js/3 app/PT/NO-OP/2.33.0' }, Caller.Sidecar],
    [{}, Caller.Sidecar],
  ])('attributes %j to %s', (headers, caller) => {
    expect(callerOf(headers)).toBe(caller);
  });

  it('takes the action from X-Amz-Target', () => {
    expect(actionOf({ 'x-amz-target': 'secretsmanager.DescribeSecret' })).toBe('DescribeSecret');
    expect(actionOf({})).toBe('unknown');
  });
});

describe('callgrindTotal', () => {
  const dump = (lines: string[]) => ['# callgrind format', 'version: 1', ...lines].join('\n');

  it.each([
    [
      'the summary line',
      dump(['events: Ir', 'summary: 193000000', 'fl=x', '1 5', 'totals: 193000004']),
      193_000_000,
    ],
    [
      'the totals line when there is no summary',
      dump(['events: Ir', 'fl=x', '1 5', 'totals: 42']),
      42,
    ],
  ])('reads %s', (_label, text, total) => {
    expect(callgrindTotal(text)).toBe(total);
  });

  it('names what is missing in a dump without either line', () => {
    expect(() => callgrindTotal(dump(['events: Ir']))).toThrow(/no summary or totals line/);
  });
});
