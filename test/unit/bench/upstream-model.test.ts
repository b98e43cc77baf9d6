import { describe, expect, it } from 'vitest';
import {
  callsPerHour,
  expectedCalls,
  sidecarRefreshIntervalSeconds,
  type TrafficProfile,
} from '../../../tools/bench/upstream-model.ts';

const profile = (over: Partial<TrafficProfile> = {}): TrafficProfile => ({
  requestsPerSecond: 10,
  ttlSeconds: 300,
  refreshAheadPercent: 20,
  powertoolsMaxAgeSeconds: 5,
  ...over,
});

describe('upstream calls model', () => {
  it('refreshes the sidecar once per TTL minus the refresh-ahead window under steady traffic', () => {
    expect(sidecarRefreshIntervalSeconds(profile())).toBe(240);
    expect(callsPerHour(profile()).sidecar).toBe(15);
  });

  it('never calls upstream more often than requests arrive', () => {
    const sparse = profile({ requestsPerSecond: 1 / 600, powertoolsMaxAgeSeconds: 5 });
    const c = callsPerHour(sparse);
    expect(c.sidecar).toBeCloseTo(6);
    expect(c.powertools).toBeCloseTo(6);
    expect(c.direct).toBeCloseTo(6);
  });

  it.each([
    [5, 720],
    [300, 12],
  ])('Powertools with maxAge %i s makes %i calls per hour', (maxAge, calls) => {
    expect(callsPerHour(profile({ powertoolsMaxAgeSeconds: maxAge })).powertools).toBe(calls);
  });

  it('makes one direct call per request', () => {
    expect(callsPerHour(profile({ requestsPerSecond: 10 })).direct).toBe(36_000);
  });

  it('adds the start-up call when predicting a window from a cold start', () => {
    const e = expectedCalls(profile({ ttlSeconds: 2, powertoolsMaxAgeSeconds: 2 }), 10);
    expect(e.sidecar).toBeCloseTo(1 + 10 / 1.6);
    expect(e.powertools).toBeCloseTo(6);
    expect(e.direct).toBeCloseTo(100);
  });

  it.each([
    ['requestsPerSecond', { requestsPerSecond: 0 }],
    ['ttlSeconds', { ttlSeconds: 0 }],
    ['powertoolsMaxAgeSeconds', { powertoolsMaxAgeSeconds: -1 }],
  ])('rejects a non-positive %s', (_name, over) => {
    expect(() => callsPerHour(profile(over))).toThrow(RangeError);
  });
});
