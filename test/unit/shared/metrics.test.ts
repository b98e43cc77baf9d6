import { describe, expect, it } from 'vitest';
import { MetricName, Metrics, MetricUnit } from '../../../shared/metrics.ts';

function capture() {
  const lines: string[] = [];
  const m = new Metrics({
    dimensions: { FunctionName: 'fn' },
    sink: (l) => lines.push(l),
    now: () => 1000,
  });
  return { m, lines };
}

describe('Metrics', () => {
  it('writes counters and observations as one EMF line', () => {
    const { m, lines } = capture();
    m.count(MetricName.CacheHit);
    m.count(MetricName.CacheHit, 2);
    m.record(MetricName.UpstreamLatency, 12, MetricUnit.Milliseconds);
    m.record(MetricName.UpstreamLatency, 8, MetricUnit.Milliseconds);
    m.flush();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      _aws: {
        Timestamp: 1000,
        CloudWatchMetrics: [
          {
            Namespace: 'SecretSidecar',
            Dimensions: [['FunctionName']],
            Metrics: [
              { Name: 'CacheHit', Unit: 'Count' },
              { Name: 'UpstreamLatency', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      FunctionName: 'fn',
      CacheHit: 3,
      UpstreamLatency: [12, 8],
    });
  });

  it('writes nothing when nothing was recorded', () => {
    const { m, lines } = capture();
    m.flush();
    expect(lines).toEqual([]);
  });

  it('flushes early rather than exceed 100 values per metric', () => {
    const { m, lines } = capture();
    for (let i = 0; i < 101; i++) m.record(MetricName.UpstreamLatency, i, MetricUnit.Milliseconds);
    m.flush();
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] ?? '').UpstreamLatency).toHaveLength(100);
  });
});
