import { describe, expect, it } from 'vitest';
import { cronStartsMinutes, rotationWindowProblems } from '../../../cdk/src/rotation-window.ts';

describe('cronStartsMinutes', () => {
  it.each([
    ['cron(0 4 ? * MON *)', [240]],
    ['cron(30 22 * * ? *)', [1350]],
    ['cron(0 0/6 * * ? *)', [0, 360, 720, 1080]],
    ['cron(0 */8 * * ? *)', [0, 480, 960]],
    ['cron(0 1,13 * * ? *)', [60, 780]],
    ['cron(0 9-11 * * ? *)', [540, 600, 660]],
  ])('reads %s', (cron, starts) => {
    expect(cronStartsMinutes(cron)).toEqual(starts);
  });

  it('cannot read a field it does not understand', () => {
    expect(cronStartsMinutes('cron(0 L * * ? *)')).toBeUndefined();
  });
});

describe('rotationWindowProblems', () => {
  it.each([
    ['a daily cron whose window ends at midnight', { cron: 'cron(0 20 * * ? *)', windowHours: 4 }],
    ['a cron every 6 hours with a 6-hour window', { cron: 'cron(0 0/6 * * ? *)', windowHours: 6 }],
    ['a 12-hour rate with a 4-hour window', { rateHours: 12, windowHours: 4 }],
    ['a 30-day rate with a 24-hour window', { rateHours: 720, windowHours: 24 }],
    ['no window at all', { cron: 'cron(0 23 * * ? *)', windowHours: undefined }],
  ])('accepts %s', (_, o) => {
    expect(rotationWindowProblems({ rateHours: 720, ...o })).toEqual([]);
  });

  it.each([
    [
      'a window that runs into the next UTC day',
      { cron: 'cron(0 22 * * ? *)', windowHours: 3 },
      'rotationWindow (3h) opened at 22:00 UTC by rotationCron cron(0 22 * * ? *) runs into the next UTC day',
    ],
    [
      'a window that reaches the next window of the cron',
      { cron: 'cron(0 0/6 * * ? *)', windowHours: 7 },
      'is longer than the 6h between two windows',
    ],
    [
      'a window as long as the rate',
      { rateHours: 8, windowHours: 8 },
      'rotationWindow (8h) must be shorter than the rotation interval (8h)',
    ],
  ])('refuses %s', (_, o, message) => {
    expect(rotationWindowProblems({ rateHours: 720, ...o }).join('; ')).toContain(message);
  });
});
