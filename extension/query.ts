/**
 * Query-string parsing for the HTTP API, accepting what AWS's Parameters and Secrets
 * extension accepts:
 *  - a parameter neither AWS nor we define is ignored (so cache-busters work) and
 *    reported back for a debug line;
 *  - `version` together with `label` on a parameter: the first one given wins, as AWS
 *    documents;
 *  - a parameter we define that is repeated, empty, malformed or contradicts another
 *    (`versionId` with `versionStage`) is a 400 naming it and what is allowed.
 */
import { badRequest } from '../shared/http-error.ts';
import type { ParameterRequest } from './parameter-source.ts';
import type { SecretRequest } from './secret-source.ts';

/** A parsed `/secretsmanager/get` query. */
export interface SecretQuery {
  readonly request: SecretRequest;
  readonly refreshNow: boolean;
  /** Names of the query parameters that were ignored. */
  readonly ignored: readonly string[];
}

/** A parsed `/systemsmanager/parameters/get` query. */
export interface ParameterQuery {
  readonly request: ParameterRequest;
  readonly refreshNow: boolean;
  /** Names of the query parameters that were ignored. */
  readonly ignored: readonly string[];
}

/** Longest id or name accepted (a Secrets Manager ARN is at most 2048 characters). */
export const MAX_ID_LENGTH = 2048;

const SECRET_PARAMS = ['secretId', 'versionId', 'versionStage', 'refreshNow'] as const;
const PARAMETER_PARAMS = ['name', 'withDecryption', 'version', 'label', 'refreshNow'] as const;

/** Parses `secretId`, `versionId` | `versionStage`, `refreshNow`. */
export function parseSecretQuery(params: URLSearchParams): SecretQuery {
  const { values: q, ignored } = collect(params, SECRET_PARAMS);
  const secretId = required(q, 'secretId');
  const versionId = optional(q, 'versionId');
  const versionStage = optional(q, 'versionStage');
  if (versionId !== undefined && versionStage !== undefined) {
    throw badRequest('give either versionId or versionStage, not both');
  }
  return {
    request: { secretId, versionId, versionStage },
    refreshNow: flag(q, 'refreshNow'),
    ignored,
  };
}

/** Parses `name`, `withDecryption`, `version` | `label` (the first given wins), `refreshNow`. */
export function parseParameterQuery(params: URLSearchParams): ParameterQuery {
  const { values: q, order, ignored } = collect(params, PARAMETER_PARAMS);
  const name = required(q, 'name');
  const versionText = optional(q, 'version');
  const label = optional(q, 'label');
  let version: number | undefined;
  if (versionText !== undefined) {
    version = /^[1-9]\d{0,9}$/.test(versionText) ? Number(versionText) : Number.NaN;
    if (!Number.isSafeInteger(version)) {
      throw badRequest(`version must be a positive integer, got ${show(versionText)}`);
    }
  }
  const both = version !== undefined && label !== undefined;
  const versionFirst = order.indexOf('version') < order.indexOf('label');
  return {
    request: {
      name,
      withDecryption: flag(q, 'withDecryption'),
      version: both && !versionFirst ? undefined : version,
      label: both && versionFirst ? undefined : label,
    },
    refreshNow: flag(q, 'refreshNow'),
    ignored,
  };
}

/** Collects the parameters we define, rejecting repeats; sets the others aside. */
function collect(
  params: URLSearchParams,
  defined: readonly string[],
): { values: Map<string, string>; order: string[]; ignored: string[] } {
  const values = new Map<string, string>();
  const order: string[] = [];
  const ignored: string[] = [];
  for (const [key, value] of params) {
    if (!defined.includes(key)) {
      if (ignored.length < 20) ignored.push(key.slice(0, 64));
      continue;
    }
    if (values.has(key)) throw badRequest(`parameter ${key} is given more than once`);
    values.set(key, value);
    order.push(key);
  }
  return { values, order, ignored };
}

function required(q: Map<string, string>, key: string): string {
  const v = q.get(key);
  if (v === undefined || v === '') throw badRequest(`missing parameter ${key}`);
  if (v.length > MAX_ID_LENGTH) {
    throw badRequest(`parameter ${key} must be at most ${MAX_ID_LENGTH} characters`);
  }
  return v;
}

function optional(q: Map<string, string>, key: string): string | undefined {
  const v = q.get(key);
  if (v === undefined) return undefined;
  if (v === '') throw badRequest(`parameter ${key} must not be empty`);
  if (v.length > MAX_ID_LENGTH) {
    throw badRequest(`parameter ${key} must be at most ${MAX_ID_LENGTH} characters`);
  }
  return v;
}

function flag(q: Map<string, string>, key: string): boolean {
  const v = q.get(key);
  if (v === undefined) return false;
  const lower = v.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw badRequest(`${key} must be true or false, got ${show(v)}`);
}

function show(v: string): string {
  return JSON.stringify(v.length > 64 ? `${v.slice(0, 61)}...` : v);
}
