/**
 * The lookup methods `make bench` compares, shared by the runner and the bench handler
 * that runs inside the Lambda sandbox.
 */

/** Every measured way of reading the same secret. */
export const LookupMethod = {
  File: 'file',
  FileAsync: 'file-async',
  HttpKeepAlive: 'http-keepalive',
  HttpNewConnection: 'http-new-connection',
  HttpBaseline: 'http-baseline',
  ClientWarm: 'client-warm',
  Powertools: 'powertools',
  Direct: 'direct',
} as const;

/** One of {@link LookupMethod}. */
export type LookupMethod = (typeof LookupMethod)[keyof typeof LookupMethod];

/** How one method is shown and how many calls it gets. */
export interface MethodPlan {
  readonly method: LookupMethod;
  readonly label: string;
  readonly iterations: number;
  readonly warmup: number;
}

/**
 * Fixed iteration counts, so runs are comparable: thousands for the in-memory and
 * loopback paths, a few hundred for the calls that go to moto.
 */
export const METHOD_PLANS: readonly MethodPlan[] = [
  {
    method: LookupMethod.File,
    label: 'sidecar file (readFileSync)',
    iterations: 5000,
    warmup: 500,
  },
  {
    method: LookupMethod.FileAsync,
    label: 'sidecar file (fs/promises)',
    iterations: 3000,
    warmup: 300,
  },
  {
    method: LookupMethod.HttpKeepAlive,
    label: 'sidecar HTTP, keep-alive',
    iterations: 3000,
    warmup: 300,
  },
  {
    method: LookupMethod.HttpNewConnection,
    label: 'sidecar HTTP, new connection',
    iterations: 1500,
    warmup: 150,
  },
  {
    method: LookupMethod.HttpBaseline,
    label: 'bare node:http server (floor)',
    iterations: 3000,
    warmup: 300,
  },
  {
    method: LookupMethod.ClientWarm,
    label: 'client library, warm path',
    iterations: 20000,
    warmup: 2000,
  },
  {
    method: LookupMethod.Powertools,
    label: 'Powertools getSecret (cache)',
    iterations: 20000,
    warmup: 2000,
  },
  {
    method: LookupMethod.Direct,
    label: 'direct GetSecretValue (moto)',
    iterations: 300,
    warmup: 30,
  },
];

/**
 * Every method runs in this many invokes, interleaved with the others, so a burst of load
 * on the machine hits all methods alike; each invoke makes 1/LOOKUP_ROUNDS of the calls.
 */
export const LOOKUP_ROUNDS = 4;

/** The event the bench handler accepts. */
export type BenchEvent =
  | {
      readonly op: 'lookup';
      readonly method: LookupMethod;
      readonly iterations: number;
      readonly warmup: number;
    }
  | { readonly op: 'traffic'; readonly powertoolsMaxAgeSeconds: number };

/** What the handler returns for `lookup`: per-call durations in nanoseconds. */
export interface LookupResult {
  readonly method: LookupMethod;
  readonly durationsNs: readonly number[];
}

/** Environment variables the runner gives the bench handler (besides the sidecar's own). */
export const BenchEnv = {
  SecretId: 'BENCH_SECRET_ID',
  Alias: 'BENCH_SECRET_ALIAS',
  /** Port of the bare `node:http` server the floor measurement calls. */
  BaselinePort: 'BENCH_BASELINE_PORT',
} as const;

/** User agent the handler's direct SDK client adds, so the counting proxy can tell its calls apart. */
export const DIRECT_USER_AGENT = 'secret-sidecar-bench-direct';
