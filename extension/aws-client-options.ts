/**
 * How the extension's AWS SDK clients are built: few attempts, every request and
 * connection bounded, a bounded pool of kept-alive connections to each service (so the
 * first read after an idle period reuses one), and an explicit endpoint or region only
 * when given.
 */

/** Options of an AWS-backed source ({@link awsClientConfig}). */
export interface AwsSourceOptions {
  /** Bound on each call, retries included. */
  readonly timeoutMs: number;
  /** Connections kept to the service. @default 16 */
  readonly maxConnections?: number;
  /** SDK attempts per call. @default 2 */
  readonly maxAttempts?: number;
  /** Explicit endpoint (tests); otherwise the SDK's standard variables apply. */
  readonly endpoint?: string;
  /** Region; otherwise `AWS_REGION`. */
  readonly region?: string;
}

/** The SDK v3 client configuration for `options`. */
export function awsClientConfig(options: AwsSourceOptions) {
  const agent = { keepAlive: true, maxSockets: options.maxConnections ?? 16 };
  return {
    maxAttempts: options.maxAttempts ?? 2,
    requestHandler: {
      requestTimeout: options.timeoutMs,
      connectionTimeout: Math.min(options.timeoutMs, 1_000),
      httpAgent: agent,
      httpsAgent: agent,
    },
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
  };
}
