/**
 * The audit trail: one JSON line per step (`message: 'rotation step'`) and one
 * metric per outcome. Field names are a contract with the CDK's Logs Insights queries.
 */
import { Logger, type LogLevel, type LogSink } from '../shared/logger.ts';
import { MetricName, type Metrics, MetricUnit } from '../shared/metrics.ts';
import { isSensitiveKey, REDACTED, Redactor, serializeError } from '../shared/redact.ts';
import type { RotationStep } from './event.ts';

/** What a step ended as. `skipped`: the work had already been done (an idempotent re-run). */
export type StepOutcome = 'succeeded' | 'failed' | 'skipped';

/** One audit event. Never contains key material. */
export interface AuditEvent {
  readonly secretArn: string;
  /** The ClientRequestToken (the version id being rotated in). */
  readonly token: string;
  readonly step: RotationStep;
  readonly outcome: StepOutcome;
  readonly durationMs: number;
  readonly issuer: string | undefined;
  readonly keyId: string | undefined;
  readonly errorCode?: string | undefined;
}

/** Message of every audit line. */
export const AUDIT_MESSAGE = 'rotation step';

/** A ClientRequestToken: 32 to 64 printable ASCII characters. */
const CLIENT_REQUEST_TOKEN = /^[ -~]{32,64}$/;

/**
 * The shared redactor, except that the audit field `token` (a ClientRequestToken, which
 * is a version id and not a credential) is written as is. Every other rule still applies.
 */
export class RotationRedactor extends Redactor {
  override readonly replacer = (key: string, value: unknown): unknown => {
    if (key === 'token' && typeof value === 'string' && CLIENT_REQUEST_TOKEN.test(value)) {
      return this.redactString(value);
    }
    // The shared replacer's rules, unchanged.
    if (key && isSensitiveKey(key) && value !== null && value !== undefined && value !== '') {
      return REDACTED;
    }
    if (typeof value === 'string') return this.redactString(value);
    if (value instanceof Error) return serializeError(value);
    if (typeof value === 'bigint') return value.toString();
    return value;
  };
}

/** Creates the rotation function's logger and the redactor behind it. */
export function createRotationLogger(options: {
  level: LogLevel;
  sink?: LogSink;
  now?: () => number;
}): { logger: Logger; redactor: Redactor } {
  const redactor = new RotationRedactor();
  const logger = new Logger({
    service: 'secret-sidecar',
    component: 'rotation',
    level: options.level,
    redactor,
    ...(options.sink ? { sink: options.sink } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return { logger, redactor };
}

/** Writes the audit line and the step metrics. */
export function recordStep(logger: Logger, metrics: Metrics, event: AuditEvent): void {
  const fields = { ...event };
  if (event.errorCode === undefined) delete (fields as { errorCode?: string }).errorCode;
  if (event.outcome === 'failed') logger.error(AUDIT_MESSAGE, fields);
  else logger.info(AUDIT_MESSAGE, fields);
  metrics.count(
    event.outcome === 'failed' ? MetricName.RotationStepFailed : MetricName.RotationStepSucceeded,
  );
  metrics.record(MetricName.RotationDuration, event.durationMs, MetricUnit.Milliseconds);
}
