/**
 * Mandatory redaction for everything secret-sidecar writes to a log, an error
 * body or a metric. It masks:
 *  - values under sensitive keys (token, secret, password, authorization, api key, ...);
 *  - bearer credentials and common provider key shapes;
 *  - every registered secret value, wherever it appears inside a string.
 *
 * The matcher's cost does not grow with the number or the size of the registered
 * values: each value is indexed by a short window from its middle, a rolling hash
 * finds candidate positions in one pass over the input, and only there is the value
 * compared. A line costs O(length × (1 + values sharing a window)). Values are
 * reference-counted, so an evicted cache entry stops costing memory. Nothing here
 * throws: on an internal failure a string is masked whole.
 */

/** Replacement text for redacted content. */
export const REDACTED = '[REDACTED]';

const SENSITIVE_KEY =
  /(secret(string|binary|value)?$|^value$|token|passw(or)?d|passphrase|^pwd?$|^pw$|^key$|authorization|api[-_]?key|apikey|access[-_]?key|signing[-_]?key|cookie|credential|private[-_]?key|session)/i;

/** Keys that look sensitive by pattern but only ever hold identifiers or counts. */
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

/** Minimum length of a registered value; shorter strings would mask too much. It is also the window length. */
export const MIN_REGISTERED_LENGTH = 6;

const WINDOW = MIN_REGISTERED_LENGTH;
const BASE = 131;
/** BASE^(WINDOW-1) mod 2^32, to roll the oldest character out. */
const BASE_POW = powMod32(BASE, WINDOW - 1);

/** Deepest nesting searched for sensitive fields in a JSON secret. */
const MAX_JSON_DEPTH = 16;

interface Entry {
  readonly value: string;
  /** Where the indexed window starts inside the value. */
  readonly offset: number;
}

/**
 * Holds the known secret values and masks them.
 *
 * @example
 * const r = new Redactor();
 * r.register(secretString);   // on fetch
 * JSON.stringify(obj, r.replacer);
 * r.release(secretString);    // when the cached value is dropped
 */
export class Redactor {
  /** Registered string → reference count. */
  readonly #counts = new Map<string, number>();
  /** Window hash → entries whose middle window has that hash. */
  readonly #index = new Map<number, Entry[]>();
  readonly #safeKeys: ReadonlySet<string>;

  /**
   * @param options.safeKeys extra key names that hold identifiers, not credentials (e.g. the
   *   rotation audit's `token`, a ClientRequestToken). Their values are still scanned for
   *   registered secrets and credential shapes.
   */
  constructor(options: { readonly safeKeys?: readonly string[] } = {}) {
    this.#safeKeys = new Set((options.safeKeys ?? []).map((k) => k.toLowerCase()));
  }

  /**
   * Registers a secret value for masking: the whole value, its JSON-escaped form, and
   * (for a JSON value) every string under a sensitive key. Each call must be matched by
   * one {@link Redactor.release} of the same value once it is no longer held.
   */
  register(value: string | undefined | null): void {
    if (!value) return;
    for (const s of derived(value)) this.#add(s);
  }

  /** Undoes one {@link Redactor.register} of `value`. */
  release(value: string | undefined | null): void {
    if (!value) return;
    for (const s of derived(value)) this.#remove(s);
  }

  /** Number of distinct registered strings (for tests and diagnostics). */
  get size(): number {
    return this.#counts.size;
  }

  /** Masks registered values and known credential shapes inside a string. Never throws. */
  redactString(input: string): string {
    try {
      let out = input;
      for (const p of SECRET_PATTERNS) out = out.replace(p, REDACTED);
      return this.#maskRegistered(out);
    } catch {
      return REDACTED;
    }
  }

  /** Returns a deep copy of `value` with sensitive keys and registered values masked. Never throws. */
  redact(value: unknown): unknown {
    try {
      return this.#walk(value, undefined, new WeakSet());
    } catch {
      return REDACTED;
    }
  }

  /** A `JSON.stringify` replacer that applies {@link Redactor.redact} rules key by key. Never throws. */
  readonly replacer = (key: string, value: unknown): unknown => {
    try {
      if (key && this.#sensitive(key) && value !== null && value !== undefined && value !== '') {
        return REDACTED;
      }
      if (typeof value === 'string') return this.redactString(value);
      if (value instanceof Error) return serializeError(value);
      if (typeof value === 'bigint') return value.toString();
      return value;
    } catch {
      return REDACTED;
    }
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

  #add(s: string): void {
    const count = this.#counts.get(s) ?? 0;
    this.#counts.set(s, count + 1);
    if (count > 0) return;
    const offset = (s.length - WINDOW) >> 1;
    const h = windowHash(s, offset);
    const bucket = this.#index.get(h);
    if (bucket) bucket.push({ value: s, offset });
    else this.#index.set(h, [{ value: s, offset }]);
  }

  #remove(s: string): void {
    const count = this.#counts.get(s);
    if (count === undefined) return;
    if (count > 1) {
      this.#counts.set(s, count - 1);
      return;
    }
    this.#counts.delete(s);
    const h = windowHash(s, (s.length - WINDOW) >> 1);
    const bucket = this.#index.get(h);
    if (!bucket) return;
    const rest = bucket.filter((e) => e.value !== s);
    if (rest.length === 0) this.#index.delete(h);
    else this.#index.set(h, rest);
  }

  /** One pass of a rolling window hash; candidates are compared where their window matches. */
  #maskRegistered(input: string): string {
    const n = input.length;
    if (this.#index.size === 0 || n < WINDOW) return input;
    let starts: number[] | undefined;
    let ends: number[] | undefined;
    let h = windowHash(input, 0);
    for (let p = 0; ; p++) {
      const bucket = this.#index.get(h);
      if (bucket) {
        for (const e of bucket) {
          const s = p - e.offset;
          if (s >= 0 && s + e.value.length <= n && input.startsWith(e.value, s)) {
            starts ??= [];
            ends ??= [];
            starts.push(s);
            ends.push(s + e.value.length);
          }
        }
      }
      if (p + WINDOW >= n) break;
      h = roll(h, input.charCodeAt(p), input.charCodeAt(p + WINDOW));
    }
    if (!starts || !ends) return input;
    return spliceMasks(input, starts, ends);
  }
}

/** The strings one secret value registers. */
function derived(value: string): string[] {
  const out = new Set<string>();
  const add = (s: string) => {
    if (s.length < MIN_REGISTERED_LENGTH) return;
    out.add(s);
    // The form it takes inside a JSON document (quotes, backslashes, control characters escaped).
    const escaped = JSON.stringify(s).slice(1, -1);
    if (escaped !== s) out.add(escaped);
  };
  add(value);
  const first = value.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      sensitiveStrings(JSON.parse(value), undefined, 0, add);
    } catch {
      // Not JSON: the whole value is registered above.
    }
  }
  return [...out];
}

/** Calls `add` with every string (or number) found under a sensitive key. */
function sensitiveStrings(
  value: unknown,
  key: string | undefined,
  depth: number,
  add: (s: string) => void,
): void {
  if (depth > MAX_JSON_DEPTH) return;
  const underSensitive = key !== undefined && isSensitiveKey(key);
  if (typeof value === 'string' || typeof value === 'number') {
    if (underSensitive) add(String(value));
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) sensitiveStrings(v, key, depth + 1, add);
    return;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      // Everything below a sensitive key is sensitive.
      sensitiveStrings(v, underSensitive ? (key as string) : k, depth + 1, add);
    }
  }
}

/** Replaces the union of the intervals `[starts[i], ends[i])` with {@link REDACTED}. */
function spliceMasks(input: string, starts: number[], ends: number[]): string {
  const order = starts.map((_, i) => i).sort((a, b) => (starts[a] ?? 0) - (starts[b] ?? 0));
  let out = '';
  let at = 0;
  let i = 0;
  while (i < order.length) {
    const first = order[i] ?? 0;
    const start = starts[first] ?? 0;
    let end = ends[first] ?? 0;
    i += 1;
    while (i < order.length && (starts[order[i] ?? 0] ?? 0) <= end) {
      end = Math.max(end, ends[order[i] ?? 0] ?? 0);
      i += 1;
    }
    out += input.slice(at, start) + REDACTED;
    at = end;
  }
  return out + input.slice(at);
}

function windowHash(s: string, offset: number): number {
  let h = 0;
  for (let i = offset; i < offset + WINDOW; i++) h = (Math.imul(h, BASE) + s.charCodeAt(i)) >>> 0;
  return h;
}

function roll(h: number, out: number, inc: number): number {
  return (Math.imul((h - Math.imul(out, BASE_POW)) >>> 0, BASE) + inc) >>> 0;
}

function powMod32(base: number, exp: number): number {
  let r = 1;
  for (let i = 0; i < exp; i++) r = Math.imul(r, base) >>> 0;
  return r;
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

/** The process-wide redactor that every logger uses unless given another. */
export const globalRedactor = new Redactor();
