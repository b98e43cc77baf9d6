/**
 * The rotation Lambda handler, built from injected ports so tests run the same code
 * against moto, the strict Secrets Manager model and local fake provider servers.
 */

import type { KMSClient } from '@aws-sdk/client-kms';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Clock, systemClock } from '../shared/clock.ts';
import { ErrorCode, SidecarError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { MetricName, type Metrics } from '../shared/metrics.ts';
import type { Provider } from '../shared/provider-secret.ts';
import type { Redactor } from '../shared/redact.ts';
import { recordStep } from './audit.ts';
import { type RotationConfig, RotationEnv } from './config.ts';
import { parseRotationEvent, type RotationEvent } from './event.ts';
import { DEFAULT_ISSUERS } from './issuers/index.ts';
import type { IssuerFactory } from './issuers/types.ts';
import { Rotator, type StepResult } from './rotator.ts';
import { SecretsStore, Stage } from './secrets-store.ts';

/** Ports and settings of {@link createRotationHandler}. */
export interface RotationHandlerDeps {
  /** A real SDK v3 client (pointed at AWS, moto or the strict model). */
  readonly secretsManager: SecretsManagerClient;
  /** KMS client for the `random` issuer. */
  readonly kms?: KMSClient;
  /** Issuers by provider. @default {@link DEFAULT_ISSUERS} */
  readonly issuers?: Partial<Record<Provider, IssuerFactory>>;
  readonly config: Pick<
    RotationConfig,
    | 'adminSecretArn'
    | 'keyPoolSecretArn'
    | 'keyPoolLowWatermark'
    | 'testAttempts'
    | 'testBackoffMs'
    | 'httpTimeoutMs'
  >;
  /** Logger whose redactor is `redactor` (see `createRotationLogger`). */
  readonly logger: Logger;
  /** The logger's redactor; every key value the function sees is registered with it. */
  readonly redactor: Redactor;
  /** Metrics with dimensions `{ FunctionName }`. */
  readonly metrics: Metrics;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The Lambda handler: resolves on success, throws on failure (Secrets Manager retries). */
export type RotationHandler = (event: unknown) => Promise<void>;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Builds the rotation handler.
 *
 * @example
 * const { logger, redactor } = createRotationLogger({ level: 'info' });
 * const handler = createRotationHandler({ secretsManager: new SecretsManagerClient({}),
 *   config, logger, redactor, metrics: new Metrics({ dimensions: { FunctionName } }) });
 */
export function createRotationHandler(deps: RotationHandlerDeps): RotationHandler {
  const clock = deps.clock ?? systemClock;
  const store = new SecretsStore(deps.secretsManager);
  const log = deps.logger;

  const adminSecret = async (): Promise<Readonly<Record<string, unknown>>> => {
    const arn = deps.config.adminSecretArn;
    if (!arn) {
      throw new SidecarError(
        ErrorCode.ConfigInvalid,
        `${RotationEnv.AdminSecretArn} must be set: this provider reads its admin credential from that secret`,
        { errorType: 'InvalidConfiguration' },
      );
    }
    const v = await store.get(arn, { stage: Stage.Current });
    let parsed: unknown;
    try {
      parsed = v ? JSON.parse(v.value) : undefined;
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new SidecarError(
        ErrorCode.ConfigInvalid,
        `the admin secret (${RotationEnv.AdminSecretArn}) must hold a JSON object in AWSCURRENT`,
        { errorType: 'InvalidAdminSecret' },
      );
    }
    if ((parsed as { placeholder?: unknown }).placeholder === true) {
      throw new SidecarError(
        ErrorCode.ConfigInvalid,
        `the admin secret (${RotationEnv.AdminSecretArn}) still holds the placeholder written at deployment: put the provider's admin credential in it (docs/rotation.md)`,
        { errorType: 'InvalidAdminSecret' },
      );
    }
    return parsed as Record<string, unknown>;
  };

  return async (input: unknown): Promise<void> => {
    const started = clock.now();
    let ev: RotationEvent;
    try {
      ev = parseRotationEvent(input);
    } catch (err) {
      log.error('rejected rotation event', { errorCode: (err as SidecarError).code, error: err });
      deps.metrics.count(MetricName.RotationStepFailed);
      deps.metrics.flush();
      throw err;
    }
    const rotator = new Rotator({
      store,
      issuers: deps.issuers ?? DEFAULT_ISSUERS,
      issuerDeps: {
        adminSecret,
        poolSecretArn: deps.config.keyPoolSecretArn,
        poolLowWatermark: deps.config.keyPoolLowWatermark,
        logger: log,
        metrics: deps.metrics,
        redactor: deps.redactor,
        kms: deps.kms,
        httpTimeoutMs: deps.config.httpTimeoutMs,
        sleep: deps.sleep ?? realSleep,
        now: () => clock.now(),
      },
      testAttempts: deps.config.testAttempts,
      testBackoffMs: deps.config.testBackoffMs,
      logger: log,
      redactor: deps.redactor,
      sleep: deps.sleep ?? realSleep,
    });
    let result: StepResult | undefined;
    try {
      const meta = await store.describe(ev.secretId);
      result = await rotator.run(ev, meta);
      recordStep(log, deps.metrics, {
        secretArn: meta.arn,
        token: ev.token,
        step: ev.step,
        outcome: result.outcome,
        durationMs: clock.now() - started,
        issuer: result.issuer,
        keyId: result.keyId,
      });
    } catch (err) {
      const failure =
        err instanceof SidecarError
          ? err
          : new SidecarError(ErrorCode.Internal, `${ev.step} failed unexpectedly`, { cause: err });
      recordStep(log, deps.metrics, {
        secretArn: ev.secretId,
        token: ev.token,
        step: ev.step,
        outcome: 'failed',
        durationMs: clock.now() - started,
        ...rotator.progress,
        errorCode: failure.code,
      });
      log.error('rotation step failed', {
        secretArn: ev.secretId,
        step: ev.step,
        errorCode: failure.code,
        errorType: failure.errorType,
        error: failure,
      });
      throw failure;
    } finally {
      deps.metrics.flush();
    }
  };
}
