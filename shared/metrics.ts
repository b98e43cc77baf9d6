/**
 * CloudWatch Embedded Metric Format (EMF) output.
 *
 * Counters accumulate in memory and {@link Metrics.flush} writes them as one
 * EMF JSON line. Names and the namespace are constants so the CDK alarms and
 * the code that emits the metrics can never drift apart.
 */

/** The CloudWatch namespace of every metric secret-sidecar emits. */
export const METRIC_NAMESPACE = 'SecretSidecar';

/** Metric names, shared by emitters and the CDK alarms/dashboard. */
export const MetricName = {
  // extension
  CacheHit: 'CacheHit',
  CacheMiss: 'CacheMiss',
  Refresh: 'Refresh',
  RefreshError: 'RefreshError',
  StaleServed: 'StaleServed',
  UpstreamLatency: 'UpstreamLatency',
  // rotation
  RotationStepSucceeded: 'RotationStepSucceeded',
  RotationStepFailed: 'RotationStepFailed',
  RotationStepDuration: 'RotationStepDuration',
  KeyPoolRemaining: 'KeyPoolRemaining',
  // inference
  InferenceRequest: 'InferenceRequest',
  InferenceError: 'InferenceError',
  ProviderLatency: 'ProviderLatency',
  SecretLookupLatency: 'SecretLookupLatency',
  KeyRefreshOnUnauthorized: 'KeyRefreshOnUnauthorized',
} as const;

/** One of {@link MetricName}. */
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

/** CloudWatch units used here. */
export const MetricUnit = {
  Count: 'Count',
  Milliseconds: 'Milliseconds',
  Microseconds: 'Microseconds',
} as const;

/** One of {@link MetricUnit}. */
export type MetricUnit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** Options for {@link Metrics}. */
export interface MetricsOptions {
  /** Dimensions on every metric, e.g. `{ FunctionName }`. Keep the set stable: alarms match it exactly. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Output for EMF lines. @default process.stdout */
  readonly sink?: (line: string) => void;
  /** Clock for the EMF timestamp. @default Date.now */
  readonly now?: () => number;
  /** @default {@link METRIC_NAMESPACE} */
  readonly namespace?: string;
}

/** EMF allows at most 100 values per metric per line. */
const MAX_VALUES = 100;

/** Accumulates metric values and writes them as EMF lines. */
export class Metrics {
  readonly #dimensions: Readonly<Record<string, string>>;
  readonly #sink: (line: string) => void;
  readonly #now: () => number;
  readonly #namespace: string;
  #values = new Map<string, { unit: MetricUnit; values: number[] }>();

  constructor(options: MetricsOptions) {
    this.#dimensions = options.dimensions;
    this.#sink = options.sink ?? ((line) => process.stdout.write(`${line}\n`));
    this.#now = options.now ?? Date.now;
    this.#namespace = options.namespace ?? METRIC_NAMESPACE;
  }

  /** Adds `n` to a counter. */
  count(name: MetricName, n = 1): void {
    const entry = this.#entry(name, MetricUnit.Count);
    if (entry.values.length === 0) entry.values.push(0);
    entry.values[0] = (entry.values[0] ?? 0) + n;
  }

  /** Records one observation (a latency, a level). */
  record(name: MetricName, value: number, unit: MetricUnit): void {
    const entry = this.#entry(name, unit);
    if (entry.values.length >= MAX_VALUES) this.flush();
    this.#entry(name, unit).values.push(value);
  }

  /** True if anything is waiting to be flushed. */
  get pending(): boolean {
    return this.#values.size > 0;
  }

  /** Writes everything recorded so far as one EMF line, then clears. */
  flush(): void {
    if (this.#values.size === 0) return;
    const line: Record<string, unknown> = {
      _aws: {
        Timestamp: this.#now(),
        CloudWatchMetrics: [
          {
            Namespace: this.#namespace,
            Dimensions: [Object.keys(this.#dimensions)],
            Metrics: [...this.#values].map(([Name, { unit }]) => ({ Name, Unit: unit })),
          },
        ],
      },
      ...this.#dimensions,
    };
    for (const [name, { values }] of this.#values) {
      line[name] = values.length === 1 ? values[0] : values;
    }
    this.#values = new Map();
    this.#sink(JSON.stringify(line));
  }

  #entry(name: string, unit: MetricUnit): { unit: MetricUnit; values: number[] } {
    let entry = this.#values.get(name);
    if (!entry) {
      entry = { unit, values: [] };
      this.#values.set(name, entry);
    }
    return entry;
  }
}
