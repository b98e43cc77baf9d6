/**
 * The audit trail: one JSON line per step (`message: 'rotation step'`) and one
 * metric per outcome. Field names are a contract with the CDK's Logs Insights queries.
 */
import { Logger, type LogLevel, type LogSink } from '../shared/logger.ts';
import { MetricName, type Metrics, MetricUnit } from '../shared/metrics.ts';
import { Redactor } from '../shared/redact.ts';
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

/** Creates the rotation function's logger and the redactor behind it. */
export function createRotationLogger(options: {
  level: LogLevel;
  sink?: LogSink;
  now?: () => number;
}): { logger: Logger; redactor: Redactor } {
  // `token` is the ClientRequestToken (a version id), an audit field, not a credential.
  const redactor = new Redactor({ safeKeys: ['token'] });
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
  metrics.record(MetricName.RotationStepDuration, event.durationMs, MetricUnit.Milliseconds);
}
