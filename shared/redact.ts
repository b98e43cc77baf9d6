/**
 * Mandatory redaction for everything secret-sidecar writes to a log, an error
 * body or a metric. It masks two things:
 *  - values under sensitive keys (token, secret, password, authorization, api key, ...);
 *  - any registered secret value, wherever it appears inside a string.
 */

/** Replacement text for redacted content. */
export const REDACTED = '[REDACTED]';

const SENSITIVE_KEY =
  /(secret(string|binary|value)?$|^value$|token|password|passwd|authorization|api[-_]?key|apikey|cookie|credential|private[-_]?key|session)/i;

/** Keys that look sensitive by pattern but only ever hold identifiers. */
const SAFE_KEYS = new Set(
  [
    'secretId',
    'secretArn',
    'secretName',
    'secretIds',
    'tokenType',
    'keyId',
    'tokenCount',
    'tokens',
    'promptTokens',
    'completionTokens',
    'totalTokens',
    'inputTokens',
    'outputTokens',
    'prompt_tokens',
    'completion_tokens',
    'total_tokens',
    'clientRequestToken',
    'sessionTokenPresent',
  ].map((k) => k.toLowerCase()),
);

/** Patterns that are always masked: bearer credentials and common provider key shapes. */
const SECRET_PATTERNS: readonly RegExp[] = [
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\bsk-[A-Za-z0-9_-]{12,}/g,
  /\bAIza[0-9A-Za-z_-]{20,}/g,
];

/** Minimum length of a registered value; shorter strings would mask too much. */
const MIN_REGISTERED_LENGTH = 6;

/**
 * Holds the set of known secret values and masks them.
 *
 * @example
 * const r = new Redactor();
 * r.register(secretString);
 * JSON.stringify(obj, r.replacer);
 */
export class Redactor {
  #values = new Set<string>();
  #pattern: RegExp | undefined;
  readonly #safeKeys: ReadonlySet<string>;

  /**
   * @param options.safeKeys extra key names that hold identifiers, not credentials (e.g. the
   *   rotation audit's `token`, a ClientRequestToken). Their values are still scanned for
   *   registered secrets and credential shapes.
   */
  constructor(options: { readonly safeKeys?: readonly string[] } = {}) {
    this.#safeKeys = new Set((options.safeKeys ?? []).map((k) => k.toLowerCase()));
  }

  /** Registers a secret value (and, for JSON strings, each string field of it) for masking. */
  register(value: string | undefined | null): void {
    if (!value) return;
    const before = this.#values.size;
    this.#add(value);
    try {
      const parsed: unknown = JSON.parse(value);
      this.#addStrings(parsed);
    } catch {
      // Not JSON: the whole string is registered above.
    }
    if (this.#values.size !== before) this.#pattern = undefined;
  }

  /** Number of registered values (for tests and diagnostics). */
  get size(): number {
    return this.#values.size;
  }

  /** Masks registered values and known credential shapes inside a string. */
  redactString(input: string): string {
    let out = input;
    for (const p of SECRET_PATTERNS) out = out.replace(p, REDACTED);
    const re = this.#regex();
    return re ? out.replace(re, REDACTED) : out;
  }

  /** Returns a deep copy of `value` with sensitive keys and registered values masked. */
  redact(value: unknown): unknown {
    return this.#walk(value, undefined, new WeakSet());
  }

  /** A `JSON.stringify` replacer that applies {@link Redactor.redact} rules key by key. */
  readonly replacer = (key: string, value: unknown): unknown => {
    if (key && this.#sensitive(key) && value !== null && value !== undefined && value !== '') {
      return REDACTED;
    }
    if (typeof value === 'string') return this.redactString(value);
    if (value instanceof Error) return serializeError(value);
    if (typeof value === 'bigint') return value.toString();
    return value;
  };

  #walk(value: unknown, key: string | undefined, seen: WeakSet<object>): unknown {
    if (key !== undefined && this.#sensitive(key) && value !== null && value !== undefined) {
      return REDACTED;
    }
    if (typeof value === 'string') return this.redactString(value);
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value)) return '[Circular]';
    seen.add(value);
    if (value instanceof Error) return this.#walk(serializeError(value), undefined, seen);
    if (Array.isArray(value)) return value.map((v) => this.#walk(v, undefined, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.#walk(v, k, seen);
    return out;
  }

  #sensitive(key: string): boolean {
    return !this.#safeKeys.has(key.toLowerCase()) && isSensitiveKey(key);
  }

  #add(value: string): void {
    if (value.length >= MIN_REGISTERED_LENGTH) this.#values.add(value);
  }

  #addStrings(value: unknown): void {
    if (typeof value === 'string') this.#add(value);
    else if (Array.isArray(value)) for (const v of value) this.#addStrings(v);
    else if (value && typeof value === 'object') {
      for (const v of Object.values(value)) this.#addStrings(v);
    }
  }

  #regex(): RegExp | undefined {
    if (this.#values.size === 0) return undefined;
    if (!this.#pattern) {
      // Longest first so a value containing another is masked whole.
      const parts = [...this.#values].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.#pattern = new RegExp(parts.join('|'), 'g');
    }
    return this.#pattern;
  }
}

/** True if a key name suggests it holds a credential or secret value. */
export function isSensitiveKey(key: string): boolean {
  return !SAFE_KEYS.has(key.toLowerCase()) && SENSITIVE_KEY.test(key);
}

/** Turns an error into a plain object (name, code, message, stack, cause), recursively. */
export function serializeError(err: Error, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (err.stack) out.stack = err.stack;
  if (err.cause !== undefined && depth < 5) {
    out.cause = err.cause instanceof Error ? serializeError(err.cause, depth + 1) : err.cause;
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The process-wide redactor that every logger uses unless given another. */
export const globalRedactor = new Redactor();
