/**
 * Plays the Secrets Manager service's part of a rotation, which moto cannot (it cannot invoke
 * the function): RotateSecret, then the four steps in order with the event the service sends,
 * then the service's AWSPENDING clean-up. Works against AWS, moto and the strict model.
 *
 * @example
 * const r = await rotate({ client, secretId, handler });
 * // r.ok, r.token, r.steps[i].durationMs
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';

/** The steps, in the order the service runs them. */
export const DRIVER_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

/** One of {@link DRIVER_STEPS}. */
export type DriverStep = (typeof DRIVER_STEPS)[number];

/** What one step invocation did. */
export interface StepRun {
  readonly step: DriverStep;
  readonly durationMs: number;
  readonly ok: boolean;
  /** `name: message` of the handler's error. */
  readonly error?: string;
}

/** What {@link rotate} returns. */
export interface RotateResult {
  readonly token: string;
  readonly arn: string;
  /** True when every step succeeded (and the clean-up ran). */
  readonly ok: boolean;
  readonly steps: readonly StepRun[];
}

/** Options of {@link rotate} and {@link resumeRotation}. */
export interface RotateOptions {
  readonly client: SecretsManagerClient;
  readonly secretId: string;
  /** The rotation function's handler (in-process). */
  readonly handler: (event: unknown) => Promise<unknown>;
  /** @default a random UUID */
  readonly token?: string;
  /** @default arn:aws:lambda:us-east-1:123456789012:function:secret-sidecar-rotation */
  readonly rotationLambdaArn?: string;
  /** false: the service only runs testSecret, then removes the pending version. @default true */
  readonly rotateImmediately?: boolean;
  /** @default 30 */
  readonly automaticallyAfterDays?: number;
  /** Sent as the event's RotationToken when set. */
  readonly rotationToken?: string;
  /** Invocations per step (2 shows idempotency). @default 1 */
  readonly repeat?: number;
  /** Stop (as if the service's attempt died) after this step succeeds. */
  readonly stopAfter?: DriverStep;
  /** Called after every invocation that succeeded. */
  readonly afterStep?: (step: DriverStep, token: string) => Promise<void>;
}

/** The default rotation function ARN used in RotateSecret. */
export const DEFAULT_ROTATION_LAMBDA_ARN =
  'arn:aws:lambda:us-east-1:123456789012:function:secret-sidecar-rotation';

/** Starts a rotation with RotateSecret and runs the steps. */
export async function rotate(options: RotateOptions): Promise<RotateResult> {
  const token = options.token ?? randomUUID();
  const immediately = options.rotateImmediately ?? true;
  await options.client.send(
    new RotateSecretCommand({
      SecretId: options.secretId,
      ClientRequestToken: token,
      RotationLambdaARN: options.rotationLambdaArn ?? DEFAULT_ROTATION_LAMBDA_ARN,
      RotationRules: { AutomaticallyAfterDays: options.automaticallyAfterDays ?? 30 },
      RotateImmediately: immediately,
    }),
  );
  const steps: readonly DriverStep[] = immediately ? DRIVER_STEPS : ['testSecret'];
  return runSteps({ ...options, token }, steps);
}

/**
 * Re-attempts a rotation already started (the service retrying the whole rotation with the same
 * token after a failure): every step again, in order, then the clean-up.
 */
export async function resumeRotation(
  options: RotateOptions & { token: string },
): Promise<RotateResult> {
  return runSteps(options, DRIVER_STEPS);
}

async function runSteps(
  options: RotateOptions & { token: string },
  steps: readonly DriverStep[],
): Promise<RotateResult> {
  const { client, token } = options;
  const described = await client.send(new DescribeSecretCommand({ SecretId: options.secretId }));
  const arn = described.ARN ?? options.secretId;
  const runs: StepRun[] = [];
  for (const step of steps) {
    for (let i = 0; i < (options.repeat ?? 1); i++) {
      const event: Record<string, string> = {
        Step: step,
        SecretId: arn,
        ClientRequestToken: token,
      };
      if (options.rotationToken) event.RotationToken = options.rotationToken;
      const started = performance.now();
      try {
        await options.handler(event);
      } catch (err) {
        runs.push({
          step,
          durationMs: performance.now() - started,
          ok: false,
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        });
        return { token, arn, ok: false, steps: runs };
      }
      runs.push({ step, durationMs: performance.now() - started, ok: true });
      await options.afterStep?.(step, token);
    }
    if (options.stopAfter === step) return { token, arn, ok: false, steps: runs };
  }
  // The service's clean-up: after success (or after the RotateImmediately=false test) AWSPENDING
  // leaves the version.
  await removePending(client, arn, token);
  return { token, arn, ok: true, steps: runs };
}

/** Removes AWSPENDING from `token` if it is still there. */
export async function removePending(
  client: SecretsManagerClient,
  secretId: string,
  token: string,
): Promise<void> {
  const d = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  if (!d.VersionIdsToStages?.[token]?.includes('AWSPENDING')) return;
  await client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: 'AWSPENDING',
      RemoveFromVersionId: token,
    }),
  );
}
