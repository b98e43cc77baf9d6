/**
 * How many upstream (Secrets Manager) calls each approach makes per hour per execution
 * environment under steady traffic. Pure arithmetic, checked against a short measurement.
 *
 * - sidecar: refreshes on an INVOKE once an entry is within the refresh-ahead window, so
 *   at most one call per `ttl × (1 − refreshAhead%)` per secret, and never more than one
 *   per request;
 * - Powertools `getSecret`: refetches on the first request after `maxAge`, so at most one
 *   call per `maxAge`, never more than one per request;
 * - direct GetSecretValue: one call per request.
 *
 * Each environment also makes one call when it starts (the prefetch, or the first request).
 */

/** Steady traffic and cache settings of one environment. */
export interface TrafficProfile {
  readonly requestsPerSecond: number;
  readonly ttlSeconds: number;
  readonly refreshAheadPercent: number;
  readonly powertoolsMaxAgeSeconds: number;
}

/** Upstream calls per hour per environment, by approach. */
export interface CallsPerHour {
  readonly sidecar: number;
  readonly powertools: number;
  readonly direct: number;
}

/** Seconds between the sidecar's refreshes of one secret under steady traffic. */
export function sidecarRefreshIntervalSeconds(p: TrafficProfile): number {
  return Math.max(p.ttlSeconds * (1 - p.refreshAheadPercent / 100), 1 / p.requestsPerSecond);
}

/** The model: steady-state upstream calls per hour for one secret in one environment. */
export function callsPerHour(p: TrafficProfile): CallsPerHour {
  if (!(p.requestsPerSecond > 0) || !(p.ttlSeconds > 0) || !(p.powertoolsMaxAgeSeconds > 0)) {
    throw new RangeError('requestsPerSecond, ttlSeconds and powertoolsMaxAgeSeconds must be > 0');
  }
  const perRequest = p.requestsPerSecond * 3600;
  return {
    sidecar: 3600 / sidecarRefreshIntervalSeconds(p),
    powertools: Math.min(perRequest, 3600 / p.powertoolsMaxAgeSeconds),
    direct: perRequest,
  };
}

/** Calls the model predicts for a window of `seconds` from a cold start (start-up call included). */
export function expectedCalls(p: TrafficProfile, seconds: number): CallsPerHour {
  const hourly = callsPerHour(p);
  const share = seconds / 3600;
  return {
    sidecar: 1 + hourly.sidecar * share,
    powertools: 1 + hourly.powertools * share,
    direct: hourly.direct * share,
  };
}
