/**
 * Query-string parsing for the HTTP API, strict like AWS's extension: unknown
 * or repeated parameters, missing required ones and contradictory ones are a 400
 * naming the parameter and what is allowed.
 */
import { badRequest } from './http-errors.ts';
import type { ParameterRequest } from './parameter-source.ts';
import type { SecretRequest } from './secret-source.ts';

/** A parsed `/secretsmanager/get` query. */
export interface SecretQuery {
  readonly request: SecretRequest;
  readonly refreshNow: boolean;
}

/** A parsed `/systemsmanager/parameters/get` query. */
export interface ParameterQuery {
  readonly request: ParameterRequest;
  readonly refreshNow: boolean;
}

const MAX_ID_LENGTH = 2048;

/** Parses `secretId`, `versionId` | `versionStage`, `refreshNow`. */
export function parseSecretQuery(params: URLSearchParams): SecretQuery {
  const q = single(params, ['secretId', 'versionId', 'versionStage', 'refreshNow']);
  const secretId = required(q, 'secretId');
  const versionId = optional(q, 'versionId');
  const versionStage = optional(q, 'versionStage');
  if (versionId !== undefined && versionStage !== undefined) {
    throw badRequest('give either versionId or versionStage, not both');
  }
  return {
    request: { secretId, versionId, versionStage },
    refreshNow: flag(q, 'refreshNow'),
  };
}

/** Parses `name`, `withDecryption`, `version` | `label`, `refreshNow`. */
export function parseParameterQuery(params: URLSearchParams): ParameterQuery {
  const q = single(params, ['name', 'withDecryption', 'version', 'label', 'refreshNow']);
  const name = required(q, 'name');
  const versionText = optional(q, 'version');
  const label = optional(q, 'label');
  if (versionText !== undefined && label !== undefined) {
    throw badRequest('give either version or label, not both');
  }
  let version: number | undefined;
  if (versionText !== undefined) {
    version = /^[1-9]\d{0,9}$/.test(versionText) ? Number(versionText) : Number.NaN;
    if (!Number.isSafeInteger(version)) {
      throw badRequest(`version must be a positive integer, got ${show(versionText)}`);
    }
  }
  return {
    request: { name, withDecryption: flag(q, 'withDecryption'), version, label },
    refreshNow: flag(q, 'refreshNow'),
  };
}

/** Collects parameters, rejecting unknown and repeated ones. */
function single(params: URLSearchParams, allowed: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of params) {
    if (!allowed.includes(key)) {
      throw badRequest(`unknown parameter ${show(key)}; allowed: ${allowed.join(', ')}`);
    }
    if (out.has(key)) throw badRequest(`parameter ${key} is given more than once`);
    out.set(key, value);
  }
  return out;
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
