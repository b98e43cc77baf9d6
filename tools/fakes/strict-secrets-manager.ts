/**
 * A strict in-memory Secrets Manager that follows AWS's documented rules where moto does not,
 * served over HTTP with the real JSON 1.1 protocol (`X-Amz-Target: secretsmanager.<Op>`), so the
 * same SDK v3 client code runs against it, against moto and against AWS.
 *
 * Rules enforced (API reference of each operation):
 *  - a staging label is on at most one version; moving AWSCURRENT moves AWSPREVIOUS to the old version;
 *  - UpdateSecretVersionStage must name the version a label is moved from (RemoveFromVersionId), atomically;
 *  - PutSecretValue with a used ClientRequestToken and a different value → ResourceExistsException
 *    (same value: no-op; RotateSecret's empty AWSPENDING placeholder may be filled once);
 *  - GetSecretValue without VersionId/VersionStage reads AWSCURRENT; a version without a value is
 *    ResourceNotFoundException; VersionId and VersionStage must agree;
 *  - RotateSecret creates an AWSPENDING version with no value and refuses while a stale AWSPENDING
 *    (on a version that is not AWSCURRENT) exists: "A previous rotation isn't complete";
 *  - the service's AWSPENDING clean-up after a successful rotation ({@link StrictSecretsManager.completeRotation}).
 * It never invokes a rotation function: a driver (fakes/rotation-driver.ts) plays that part.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenLocal, readText, sendJson } from './local-server.ts';

/** An AWS error as the JSON protocol carries it. */
export class AwsServiceError extends Error {
  readonly type: string;
  readonly status: number;

  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = status;
  }
}

/** One version of a secret. */
export interface ModelVersion {
  readonly versionId: string;
  /** Undefined for RotateSecret's placeholder. */
  value: string | undefined;
  readonly stages: Set<string>;
  readonly createdAt: number;
}

/** One secret. */
export interface ModelSecret {
  readonly arn: string;
  readonly name: string;
  readonly versions: Map<string, ModelVersion>;
  rotationEnabled: boolean | undefined;
  rotationLambdaArn: string | undefined;
  rotationRules: Record<string, unknown> | undefined;
  readonly createdAt: number;
}

/** A fault to inject into the next call(s) of an operation. */
export interface InjectedFault {
  readonly type: string;
  readonly message?: string;
  readonly status?: number;
  /** `after`: apply the operation, then answer with the error (a lost response). @default 'before' */
  readonly when?: 'before' | 'after';
  /** How many calls fail. @default 1 */
  readonly times?: number;
}

/** A record of one RotateSecret call. */
export interface RotationRequest {
  readonly secretArn: string;
  readonly token: string;
  readonly lambdaArn: string;
  readonly rotateImmediately: boolean;
}

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const PENDING = 'AWSPENDING';

/** The model. Operations take and return the JSON shapes of the Secrets Manager API. */
export class StrictSecretsManager {
  readonly #secrets = new Map<string, ModelSecret>();
  readonly #faults = new Map<string, InjectedFault & { left: number }>();
  readonly #calls: string[] = [];
  readonly rotations: RotationRequest[] = [];
  /** `RotationToken` values received by PutSecretValue, in order. */
  readonly rotationTokens: string[] = [];
  readonly #region: string;
  readonly #account: string;
  readonly #now: () => number;

  constructor(options: { region?: string; accountId?: string; now?: () => number } = {}) {
    this.#region = options.region ?? 'us-east-1';
    this.#account = options.accountId ?? '123456789012';
    this.#now = options.now ?? Date.now;
  }

  /** Operation names called so far, in order. */
  get calls(): readonly string[] {
    return this.#calls;
  }

  /** Makes the next call(s) of `operation` fail. */
  failNext(operation: string, fault: InjectedFault): void {
    this.#faults.set(operation, { ...fault, left: fault.times ?? 1 });
  }

  /** Looks a secret up by name or ARN (for assertions). */
  secret(id: string): ModelSecret {
    return this.#find(id);
  }

  /** Labels of every version, including label-less (deprecated) ones. */
  stages(id: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const v of this.#find(id).versions.values()) out[v.versionId] = [...v.stages].sort();
    return out;
  }

  /** The service's own clean-up after a successful rotation: AWSPENDING leaves the AWSCURRENT version. */
  completeRotation(id: string): void {
    const s = this.#find(id);
    for (const v of s.versions.values()) {
      if (v.stages.has(PENDING) && v.stages.has(CURRENT)) v.stages.delete(PENDING);
    }
  }

  /** Runs one operation. */
  call(operation: string, input: Record<string, unknown>): unknown {
    this.#calls.push(operation);
    const fault = this.#faults.get(operation);
    if (fault) {
      fault.left -= 1;
      if (fault.left <= 0) this.#faults.delete(operation);
    }
    const error = fault
      ? new AwsServiceError(
          fault.type,
          fault.message ?? `injected ${fault.type}`,
          fault.status ?? 400,
        )
      : undefined;
    if (error && fault?.when !== 'after') throw error;
    const out = this.#dispatch(operation, input);
    if (error) throw error;
    return out;
  }

  #dispatch(op: string, input: Record<string, unknown>): unknown {
    switch (op) {
      case 'CreateSecret':
        return this.#create(input);
      case 'DescribeSecret':
        return this.#describe(input);
      case 'GetSecretValue':
        return this.#get(input);
      case 'PutSecretValue':
        return this.#put(input);
      case 'UpdateSecretVersionStage':
        return this.#updateStage(input);
      case 'RotateSecret':
        return this.#rotate(input);
      case 'CancelRotateSecret':
        return this.#cancel(input);
      case 'ListSecretVersionIds':
        return this.#listVersions(input);
      default:
        throw new AwsServiceError('UnknownOperationException', `operation ${op} is not supported`);
    }
  }

  #create(input: Record<string, unknown>): unknown {
    const name = str(input, 'Name');
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
      throw new AwsServiceError('InvalidParameterException', 'Invalid name.');
    }
    if (this.#secrets.has(name)) {
      throw new AwsServiceError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const arn = `arn:aws:secretsmanager:${this.#region}:${this.#account}:secret:${name}-${randomBytes(3).toString('hex')}`;
    const s: ModelSecret = {
      arn,
      name,
      versions: new Map(),
      rotationEnabled: undefined,
      rotationLambdaArn: undefined,
      rotationRules: undefined,
      createdAt: this.#now(),
    };
    this.#secrets.set(name, s);
    let versionId: string | undefined;
    if (typeof input.SecretString === 'string') {
      versionId = token(input) ?? randomUUID();
      s.versions.set(versionId, this.#version(versionId, input.SecretString, [CURRENT]));
    }
    return { ARN: arn, Name: name, ...(versionId ? { VersionId: versionId } : {}) };
  }

  #describe(input: Record<string, unknown>): unknown {
    const s = this.#find(str(input, 'SecretId'));
    const map: Record<string, string[]> = {};
    for (const v of s.versions.values()) if (v.stages.size > 0) map[v.versionId] = [...v.stages];
    return {
      ARN: s.arn,
      Name: s.name,
      CreatedDate: s.createdAt / 1000,
      ...(s.rotationEnabled !== undefined ? { RotationEnabled: s.rotationEnabled } : {}),
      ...(s.rotationLambdaArn ? { RotationLambdaARN: s.rotationLambdaArn } : {}),
      ...(s.rotationRules ? { RotationRules: s.rotationRules } : {}),
      VersionIdsToStages: map,
    };
  }

  #get(input: Record<string, unknown>): unknown {
    const s = this.#find(str(input, 'SecretId'));
    const id = optStr(input, 'VersionId');
    const stage = optStr(input, 'VersionStage');
    let v: ModelVersion | undefined;
    if (id !== undefined) {
      v = s.versions.get(id);
      if (!v) {
        throw new AwsServiceError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for VersionId: ${id}`,
        );
      }
      if (stage !== undefined && !v.stages.has(stage)) {
        throw new AwsServiceError(
          'InvalidRequestException',
          `You provided a VersionStage that is not associated to the provided VersionId.`,
        );
      }
    } else {
      const want = stage ?? CURRENT;
      v = [...s.versions.values()].find((x) => x.stages.has(want));
      if (!v) {
        throw new AwsServiceError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for staging label: ${want}`,
        );
      }
    }
    if (v.value === undefined) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for VersionId: ${v.versionId}`,
      );
    }
    return {
      ARN: s.arn,
      Name: s.name,
      VersionId: v.versionId,
      SecretString: v.value,
      VersionStages: [...v.stages],
      CreatedDate: v.createdAt / 1000,
    };
  }

  #put(input: Record<string, unknown>): unknown {
    const s = this.#find(str(input, 'SecretId'));
    const versionId = token(input) ?? randomUUID();
    const value = str(input, 'SecretString');
    const stages = Array.isArray(input.VersionStages)
      ? (input.VersionStages as unknown[]).map(String)
      : [CURRENT];
    if (typeof input.RotationToken === 'string') this.rotationTokens.push(input.RotationToken);
    const existing = s.versions.get(versionId);
    if (existing) {
      if (existing.value === value) {
        return {
          ARN: s.arn,
          Name: s.name,
          VersionId: versionId,
          VersionStages: [...existing.stages],
        };
      }
      if (existing.value !== undefined) {
        throw new AwsServiceError(
          'ResourceExistsException',
          `You can't use ClientRequestToken ${versionId} because that value is already in use for a version of the secret with a different value.`,
        );
      }
      existing.value = value;
      for (const st of stages) this.#attach(s, st, existing);
      return {
        ARN: s.arn,
        Name: s.name,
        VersionId: versionId,
        VersionStages: [...existing.stages],
      };
    }
    const v = this.#version(versionId, value, []);
    s.versions.set(versionId, v);
    for (const st of stages) this.#attach(s, st, v);
    return { ARN: s.arn, Name: s.name, VersionId: versionId, VersionStages: [...v.stages] };
  }

  #updateStage(input: Record<string, unknown>): unknown {
    const s = this.#find(str(input, 'SecretId'));
    const stage = str(input, 'VersionStage');
    const moveTo = optStr(input, 'MoveToVersionId');
    const removeFrom = optStr(input, 'RemoveFromVersionId');
    const holder = [...s.versions.values()].find((v) => v.stages.has(stage));
    if (moveTo !== undefined && !s.versions.has(moveTo)) {
      throw new AwsServiceError(
        'InvalidParameterException',
        `The version ${moveTo} doesn't exist.`,
      );
    }
    if (removeFrom !== undefined && holder?.versionId !== removeFrom) {
      throw new AwsServiceError(
        'InvalidParameterException',
        `The staging label ${stage} is not attached to version ${removeFrom}.`,
      );
    }
    if (moveTo === undefined && removeFrom === undefined) {
      throw new AwsServiceError(
        'InvalidParameterException',
        'You must specify MoveToVersionId, RemoveFromVersionId or both.',
      );
    }
    if (moveTo !== undefined && holder && holder.versionId !== moveTo && removeFrom === undefined) {
      throw new AwsServiceError(
        'InvalidParameterException',
        `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
      );
    }
    if (moveTo !== undefined) {
      const target = s.versions.get(moveTo) as ModelVersion;
      this.#attach(s, stage, target);
    } else if (holder) {
      holder.stages.delete(stage);
    }
    return { ARN: s.arn, Name: s.name };
  }

  #rotate(input: Record<string, unknown>): unknown {
    const s = this.#find(str(input, 'SecretId'));
    const lambdaArn = optStr(input, 'RotationLambdaARN') ?? s.rotationLambdaArn;
    if (!lambdaArn) {
      throw new AwsServiceError(
        'InvalidRequestException',
        'No Lambda rotation function ARN is associated with this secret.',
      );
    }
    const stale = [...s.versions.values()].find(
      (v) => v.stages.has(PENDING) && !v.stages.has(CURRENT),
    );
    if (stale) {
      throw new AwsServiceError(
        'InvalidRequestException',
        "A previous rotation isn't complete. That rotation will be reattempted.",
      );
    }
    const versionId = token(input) ?? randomUUID();
    if (s.versions.has(versionId)) {
      throw new AwsServiceError(
        'ResourceExistsException',
        `A version with ClientRequestToken ${versionId} already exists.`,
      );
    }
    const v = this.#version(versionId, undefined, []);
    s.versions.set(versionId, v);
    this.#attach(s, PENDING, v);
    s.rotationEnabled = true;
    s.rotationLambdaArn = lambdaArn;
    if (typeof input.RotationRules === 'object' && input.RotationRules !== null) {
      s.rotationRules = input.RotationRules as Record<string, unknown>;
    }
    const rotateImmediately = input.RotateImmediately !== false;
    this.rotations.push({ secretArn: s.arn, token: versionId, lambdaArn, rotateImmediately });
    return { ARN: s.arn, Name: s.name, VersionId: versionId };
  }

  #cancel(input: Record<string, unknown>): unknown {
    const s = this.#find(str(input, 'SecretId'));
    s.rotationEnabled = false;
    const pending = [...s.versions.values()].find((v) => v.stages.has(PENDING));
    return { ARN: s.arn, Name: s.name, ...(pending ? { VersionId: pending.versionId } : {}) };
  }

  #listVersions(input: Record<string, unknown>): unknown {
    const s = this.#find(str(input, 'SecretId'));
    const all = input.IncludeDeprecated === true;
    return {
      ARN: s.arn,
      Name: s.name,
      Versions: [...s.versions.values()]
        .filter((v) => all || v.stages.size > 0)
        .map((v) => ({
          VersionId: v.versionId,
          VersionStages: [...v.stages],
          CreatedDate: v.createdAt / 1000,
        })),
    };
  }

  /** Puts `stage` on `target`, taking it off whichever version had it; AWSCURRENT drags AWSPREVIOUS. */
  #attach(s: ModelSecret, stage: string, target: ModelVersion): void {
    const holder = [...s.versions.values()].find((v) => v.stages.has(stage));
    if (holder === target) return;
    holder?.stages.delete(stage);
    target.stages.add(stage);
    if (stage === CURRENT && holder) {
      for (const v of s.versions.values()) v.stages.delete(PREVIOUS);
      holder.stages.add(PREVIOUS);
    }
  }

  #version(versionId: string, value: string | undefined, stages: string[]): ModelVersion {
    if (versionId.length < 32 || versionId.length > 64) {
      throw new AwsServiceError(
        'InvalidParameterException',
        'ClientRequestToken must be 32-64 characters long.',
      );
    }
    return { versionId, value, stages: new Set(stages), createdAt: this.#now() };
  }

  #find(id: string): ModelSecret {
    const byName = this.#secrets.get(id);
    if (byName) return byName;
    for (const s of this.#secrets.values()) if (s.arn === id) return s;
    throw new AwsServiceError(
      'ResourceNotFoundException',
      "Secrets Manager can't find the specified secret.",
    );
  }
}

function str(input: Record<string, unknown>, name: string): string {
  const v = input[name];
  if (typeof v !== 'string' || v === '') {
    throw new AwsServiceError('InvalidParameterException', `${name} is required.`);
  }
  return v;
}

function optStr(input: Record<string, unknown>, name: string): string | undefined {
  const v = input[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function token(input: Record<string, unknown>): string | undefined {
  return optStr(input, 'ClientRequestToken');
}

/**
 * A `node:http` request handler speaking the JSON 1.1 protocol for `model`.
 * Returns true when the request was a Secrets Manager call (and is being answered).
 */
export function createStrictSecretsManagerHandler(
  model: StrictSecretsManager,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const target = req.headers['x-amz-target'];
    if (
      req.method !== 'POST' ||
      typeof target !== 'string' ||
      !target.startsWith('secretsmanager.')
    ) {
      return false;
    }
    const op = target.slice('secretsmanager.'.length);
    readText(req, (text) => {
      let status = 200;
      let body: unknown;
      const headers: Record<string, string> = {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': randomUUID(),
      };
      try {
        const input = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
        body = model.call(op, input);
      } catch (err) {
        const e =
          err instanceof AwsServiceError
            ? err
            : new AwsServiceError(
                'InternalServiceError',
                'An error occurred on the server side.',
                500,
              );
        status = e.status;
        headers['x-amzn-errortype'] = e.type;
        body = { __type: e.type, message: e.message };
      }
      sendJson(res, status, body, headers);
    });
    return true;
  };
}

/** A running strict Secrets Manager. */
export interface StrictSecretsManagerServer {
  /** Endpoint for the SDK client, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly state: StrictSecretsManager;
  close(): Promise<void>;
}

/** Starts the model on 127.0.0.1 on a free port. */
export async function startStrictSecretsManager(
  options: { region?: string; accountId?: string; now?: () => number } = {},
): Promise<StrictSecretsManagerServer> {
  const state = new StrictSecretsManager(options);
  const handle = createStrictSecretsManagerHandler(state);
  const server = await listenLocal((req, res) => {
    if (!handle(req, res)) {
      sendJson(res, 404, { __type: 'UnknownOperationException', message: 'not found' });
    }
  });
  return { url: server.origin, state, close: server.close };
}
