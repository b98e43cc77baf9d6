/** Validation helpers for issuers' admin-credential secrets. */

import { ErrorCode, SidecarError } from '../../shared/errors.ts';
import { isHttpUrl } from '../../shared/provider-secret.ts';
import type { Redactor } from '../../shared/redact.ts';
import { RotationEnv } from '../config.ts';

/** Thrown when an admin-credential secret lacks a field or has a bad one. */
export class AdminSecretError extends SidecarError {
  constructor(provider: string, problems: readonly string[]) {
    super(
      ErrorCode.ConfigInvalid,
      `the ${provider} admin secret (${RotationEnv.AdminSecretArn}) is invalid: ${problems.join('; ')}`,
      { errorType: 'InvalidAdminSecret' },
    );
    this.name = 'AdminSecretError';
  }
}

/** Collects problems while reading an admin secret, then throws them all at once. */
export class AdminFields {
  readonly #provider: string;
  readonly #src: Readonly<Record<string, unknown>>;
  readonly #redactor: Redactor;
  readonly #problems: string[] = [];

  constructor(provider: string, src: Readonly<Record<string, unknown>>, redactor: Redactor) {
    this.#provider = provider;
    this.#src = src;
    this.#redactor = redactor;
  }

  /** A required credential field; its value is registered for redaction. */
  secret(name: string): string {
    const v = this.string(name);
    this.#redactor.register(v);
    return v;
  }

  /** A required non-empty string field matching `pattern` when given. */
  string(name: string, pattern?: { re: RegExp; allowed: string }): string {
    const v = this.#src[name];
    if (typeof v !== 'string' || v.trim() === '') {
      this.#problems.push(`${name} must be a non-empty string`);
      return '';
    }
    if (pattern && !pattern.re.test(v)) {
      // Never echo the value: admin fields are credentials.
      this.#problems.push(`${name} must be ${pattern.allowed}`);
      return '';
    }
    return v;
  }

  /** An optional http(s) URL, returned without a trailing slash. */
  url(name: string, def: string): string {
    const v = this.#src[name];
    if (v === undefined) return def;
    if (!isHttpUrl(v)) {
      this.#problems.push(`${name} must be an http:// or https:// URL when present`);
      return def;
    }
    return v.replace(/\/+$/, '');
  }

  /** An optional whole number within `range`. */
  integer(name: string, range: { min: number; max: number }): number | undefined {
    const v = this.#src[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < range.min || v > range.max) {
      this.#problems.push(
        `${name} must be a whole number from ${range.min} to ${range.max} when present`,
      );
      return undefined;
    }
    return v;
  }

  /** An optional string field. */
  optional(name: string): string | undefined {
    const v = this.#src[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') {
      this.#problems.push(`${name} must be a non-empty string when present`);
      return undefined;
    }
    return v;
  }

  /** A required nested object. */
  object(name: string): Readonly<Record<string, unknown>> {
    const v = this.#src[name];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.#problems.push(`${name} must be a JSON object`);
      return {};
    }
    return v as Record<string, unknown>;
  }

  /** Records a problem found by the caller. */
  fail(problem: string): void {
    this.#problems.push(problem);
  }

  /** Throws one {@link AdminSecretError} with every problem found. */
  done(): void {
    if (this.#problems.length > 0) throw new AdminSecretError(this.#provider, this.#problems);
  }
}
