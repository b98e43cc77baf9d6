/**
 * The event Secrets Manager sends to a rotation function, parsed and validated.
 * See docs/rotation.md ("The rotation contract").
 */
import { ErrorCode, SidecarError } from '../shared/errors.ts';

/** The four rotation steps, in the order Secrets Manager runs them. */
export const RotationStep = {
  CreateSecret: 'createSecret',
  SetSecret: 'setSecret',
  TestSecret: 'testSecret',
  FinishSecret: 'finishSecret',
} as const;

/** One of {@link RotationStep}. */
export type RotationStep = (typeof RotationStep)[keyof typeof RotationStep];

/** Every step, in order. */
export const ROTATION_STEPS: readonly RotationStep[] = Object.values(RotationStep);

/** A validated rotation event. */
export interface RotationEvent {
  readonly step: RotationStep;
  /** The secret's ARN (Secrets Manager always sends the ARN). */
  readonly secretId: string;
  /** The version id of the version being rotated in; the idempotency key of the rotation. */
  readonly token: string;
  /** Opaque token to pass to PutSecretValue when present. Sensitive: never logged. */
  readonly rotationToken: string | undefined;
}

/** Printable ASCII only, as the aws-samples templates require. */
const PRINTABLE = /^[ -~]+$/;
/** ClientRequestToken length limits from the Secrets Manager API reference. */
const TOKEN_MIN = 32;
const TOKEN_MAX = 64;
const MAX_SECRET_ID = 2048;
/** RotationToken, as PutSecretValue takes it (Secrets Manager API reference). */
const ROTATION_TOKEN = /^[a-zA-Z0-9-]{36,256}$/;

/**
 * Parses `{Step, SecretId, ClientRequestToken, RotationToken?}`.
 * Throws a {@link SidecarError} with code `BAD_REQUEST` naming every bad field.
 */
export function parseRotationEvent(input: unknown): RotationEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SidecarError(ErrorCode.BadRequest, 'rotation event must be a JSON object', {
      errorType: 'InvalidRotationEvent',
    });
  }
  const ev = input as Record<string, unknown>;
  const problems: string[] = [];

  const step = ev.Step;
  if (typeof step !== 'string' || !(ROTATION_STEPS as readonly string[]).includes(step)) {
    const shown = typeof step === 'string' ? JSON.stringify(step.slice(0, 40)) : typeof step;
    problems.push(`Step must be one of ${ROTATION_STEPS.join(', ')}, got ${shown}`);
  }
  const secretId = field(ev, 'SecretId', 1, MAX_SECRET_ID, problems);
  const token = field(ev, 'ClientRequestToken', TOKEN_MIN, TOKEN_MAX, problems);
  let rotationToken: string | undefined;
  if (ev.RotationToken !== undefined && ev.RotationToken !== null) {
    // Never echo the value: it is a credential.
    if (typeof ev.RotationToken !== 'string' || !ROTATION_TOKEN.test(ev.RotationToken)) {
      problems.push(
        'RotationToken must be 36 to 256 characters of letters, digits and "-" when present (the pattern PutSecretValue accepts)',
      );
    } else {
      rotationToken = ev.RotationToken;
    }
  }
  if (problems.length > 0) {
    throw new SidecarError(ErrorCode.BadRequest, `invalid rotation event: ${problems.join('; ')}`, {
      errorType: 'InvalidRotationEvent',
    });
  }
  return {
    step: step as RotationStep,
    secretId: secretId as string,
    token: token as string,
    rotationToken,
  };
}

function field(
  ev: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
  problems: string[],
): string | undefined {
  const v = ev[name];
  if (typeof v !== 'string') {
    problems.push(`${name} must be a string, got ${v === undefined ? 'nothing' : typeof v}`);
    return undefined;
  }
  if (v.length < min || v.length > max || !PRINTABLE.test(v)) {
    problems.push(`${name} must be ${min} to ${max} printable ASCII characters`);
    return undefined;
  }
  return v;
}
