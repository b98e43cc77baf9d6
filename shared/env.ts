/**
 * Environment parsing that collects every problem before failing.
 *
 * A part's `config.ts` creates one {@link EnvReader}, reads each variable
 * through it, then calls {@link EnvReader.done} which throws a single
 * {@link ConfigError} naming every bad variable and its allowed values.
 * Nothing else in the code base reads `process.env`.
 */
import { ConfigError, type ConfigIssue } from './errors.ts';

/** A snapshot of environment variables. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Variables the Lambda runtime sets in every function's environment that our parsers read. */
export const LambdaEnv = {
  FunctionName: 'AWS_LAMBDA_FUNCTION_NAME',
  /** The function's advanced logging level; wins over each part's own log level. */
  LogLevel: 'AWS_LAMBDA_LOG_LEVEL',
  SessionToken: 'AWS_SESSION_TOKEN',
  ContainerAuthorizationToken: 'AWS_CONTAINER_AUTHORIZATION_TOKEN',
} as const;

interface IntOptions<D extends number | undefined> {
  readonly default: D;
  readonly min: number;
  readonly max: number;
}

/** Reads and validates environment variables, accumulating issues. */
export class EnvReader {
  readonly #env: Env;
  readonly #issues: ConfigIssue[] = [];

  constructor(env: Env) {
    this.#env = env;
  }

  /** The trimmed raw value, or undefined when unset or blank. */
  raw(name: string): string | undefined {
    const v = this.#env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  }

  /** Records a problem with `name`; used for cross-field validation. Repeats are kept once. */
  fail(name: string, problem: string): void {
    if (this.#issues.some((i) => i.variable === name && i.problem === problem)) return;
    this.#issues.push({ variable: name, problem });
  }

  /** A string, optionally required to match `pattern` (described by `allowed`). */
  string(name: string, def: string, check?: { pattern: RegExp; allowed: string }): string;
  string(
    name: string,
    def: undefined,
    check?: { pattern: RegExp; allowed: string },
  ): string | undefined;
  string(
    name: string,
    def: string | undefined,
    check?: { pattern: RegExp; allowed: string },
  ): string | undefined {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (check && !check.pattern.test(v)) {
      this.fail(name, `must be ${check.allowed}, got ${quote(v)}`);
      return def;
    }
    return v;
  }

  /** An integer in `[min, max]`. */
  int(name: string, opts: IntOptions<number>): number;
  int(name: string, opts: IntOptions<undefined>): number | undefined;
  int(name: string, opts: IntOptions<number | undefined>): number | undefined {
    const v = this.raw(name);
    if (v === undefined) return opts.default;
    const n = /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < opts.min || n > opts.max) {
      this.fail(name, `must be an integer from ${opts.min} to ${opts.max}, got ${quote(v)}`);
      return opts.default;
    }
    return n;
  }

  /** `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`, any case). */
  bool(name: string, def: boolean): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return def;
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    this.fail(name, `must be true or false, got ${quote(v)}`);
    return def;
  }

  /** One of `allowed` (case-insensitive; returns the canonical spelling). */
  oneOf<T extends string>(name: string, allowed: readonly T[], def: T): T;
  oneOf<T extends string>(name: string, allowed: readonly T[], def: undefined): T | undefined;
  oneOf<T extends string>(name: string, allowed: readonly T[], def: T | undefined): T | undefined {
    const v = this.raw(name);
    if (v === undefined) return def;
    const hit = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
    if (hit === undefined) {
      this.fail(name, `must be one of ${allowed.join(', ')}, got ${quote(v)}`);
      return def;
    }
    return hit;
  }

  /** A comma-separated list; blank items are ignored. */
  list(name: string): string[] {
    const v = this.raw(name);
    if (v === undefined) return [];
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  /** An `http(s)://` URL, without a trailing slash. */
  url(name: string, def: string | undefined): string | undefined {
    const v = this.raw(name);
    if (v === undefined) return def;
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
      return v.replace(/\/+$/, '');
    } catch {
      this.fail(name, `must be an http:// or https:// URL, got ${quote(v)}`);
      return def;
    }
  }

  /** Issues found so far. */
  get issues(): readonly ConfigIssue[] {
    return this.#issues;
  }

  /** Throws one {@link ConfigError} with every issue, if there were any. */
  done(): void {
    if (this.#issues.length > 0) throw new ConfigError(this.#issues);
  }
}

function quote(v: string): string {
  const shown = v.length > 64 ? `${v.slice(0, 61)}...` : v;
  return JSON.stringify(shown);
}

/** Deep-freezes a plain config object so nothing can change it after start-up. */
export function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
