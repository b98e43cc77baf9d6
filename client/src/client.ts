/**
 * The secret-sidecar client library: how Lambda code reads a secret that the
 * extension keeps fresh.
 *
 * Lookup order for {@link SidecarClient.getSecret}:
 *  1. the in-process memo, while its freshness window is open (a map lookup and one
 *     clock read: the warm path);
 *  2. the extension's file envelope, when `expiresAt > now`;
 *  3. the extension's HTTP endpoint (token header, short timeout, bounded retry while
 *     the extension starts, one retry after a connection reset).
 *
 * The memo is keyed by `versionId`: reading the same version again keeps the same
 * {@link SecretValue} object, so callers can cache work derived from it (a parsed
 * JSON value, an SDK client) by identity or by `versionId`.
 *
 * Freshness design (warm-path goal ≤ 20 µs p99): a memoized value is trusted for
 * `recheckMs` (default 1 s) and never past the file's `expiresAt`, so almost every
 * call is one `Map.get` and one `Date.now()`. After the window the file is re-read
 * (a few µs for a small file in /tmp) and the same version keeps its object. The
 * wall clock keeps running while Lambda freezes the sandbox, so the window also
 * closes across a freeze. A value the provider rejects is replaced at once with
 * {@link SidecarClient.refresh}.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, SidecarError } from '../../shared/errors.ts';
import { globalRedactor, type Redactor } from '../../shared/redact.ts';
import {
  DEFAULT_HTTP_PORT,
  DEFAULT_SECRET_DIR,
  Routes,
  type SecretEnvelope,
  secretFileName,
  TOKEN_HEADER,
} from '../../shared/sidecar-protocol.ts';
import { fromEnvelope, fromGetSecretValue, parseEnvelope, type SecretValue } from './envelope.ts';
import { errorFromStatus, RESET_CODES, STARTING_UP_CODES, socketCode } from './errors.ts';
import { HttpDeadlineError, httpGet } from './http.ts';

export type { SecretOrigin, SecretValue } from './envelope.ts';

/** Options of {@link SidecarClient}. Every field has a default that suits Lambda. */
export interface SidecarClientOptions {
  /** Directory of the extension's secret files. @default '/tmp/secret-sidecar' */
  readonly dir?: string;
  /** Loopback port of the extension. @default 2773 */
  readonly port?: number;
  /** Host of the extension. @default '127.0.0.1' */
  readonly host?: string;
  /**
   * Value of the `X-Aws-Parameters-Secrets-Token` header (the function's
   * `AWS_SESSION_TOKEN`). Required for the HTTP path only.
   */
  readonly token?: string;
  /** Deadline of one HTTP attempt in ms. @default 3000 */
  readonly timeoutMs?: number;
  /** How long to keep retrying while the extension is not listening yet, in ms. @default 2000 */
  readonly startupWaitMs?: number;
  /** First pause between start-up retries, in ms (doubles up to 200 ms). @default 20 */
  readonly retryDelayMs?: number;
  /**
   * How long a memoized value is returned without looking at the file or the
   * endpoint, in ms. It never outlives the file's `expiresAt`. @default 1000
   */
  readonly recheckMs?: number;
  /** Read file envelopes before asking over HTTP. @default true */
  readonly useFiles?: boolean;
  /** Wall clock (epoch ms) for freshness checks. @default Date.now */
  readonly now?: () => number;
  /** Registers every value read so loggers mask it; `false` turns this off. @default the global redactor */
  readonly redactor?: Redactor | false;
}

/** Per-call options of {@link SidecarClient.getSecret}. */
export interface GetSecretOptions {
  /** Skip memo and file and make the extension fetch from AWS now (`refreshNow=true`). */
  readonly refreshNow?: boolean;
}

interface MemoEntry {
  secret: SecretValue;
  /** Until then the memo is returned without any I/O. */
  checkAt: number;
  /** When this value was fetched from AWS (file) or from the extension (HTTP), epoch ms. */
  fetchedAt: number;
}

/**
 * Reads secrets from the secret-sidecar extension. Create one per process and reuse it.
 *
 * @example
 * const client = new SidecarClient({ token: process.env.AWS_SESSION_TOKEN });
 * const { value, versionId } = await client.getSecret('provider');
 */
export class SidecarClient {
  readonly #dir: string;
  readonly #host: string;
  readonly #port: number;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #startupWaitMs: number;
  readonly #retryDelayMs: number;
  readonly #recheckMs: number;
  readonly #useFiles: boolean;
  readonly #now: () => number;
  readonly #redactor: Redactor | undefined;
  readonly #memo = new Map<string, MemoEntry>();
  readonly #inflight = new Map<string, Promise<SecretValue>>();

  constructor(options: SidecarClientOptions = {}) {
    this.#dir = options.dir ?? DEFAULT_SECRET_DIR;
    this.#host = options.host ?? '127.0.0.1';
    this.#port = options.port ?? DEFAULT_HTTP_PORT;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 3000;
    this.#startupWaitMs = options.startupWaitMs ?? 2000;
    this.#retryDelayMs = options.retryDelayMs ?? 20;
    this.#recheckMs = options.recheckMs ?? 1000;
    this.#useFiles = options.useFiles ?? true;
    this.#now = options.now ?? Date.now;
    this.#redactor = options.redactor === false ? undefined : (options.redactor ?? globalRedactor);
  }

  /**
   * Returns the current value of a secret.
   *
   * @param aliasOrId - The alias configured in the extension (`SECRET_SIDECAR_SECRETS=alias=id`)
   *   or the secret's name or ARN.
   * @throws {SidecarError} `NOT_FOUND`, `FORBIDDEN`/`UNAUTHORIZED` (token), `UPSTREAM_TIMEOUT`,
   *   `UPSTREAM_UNAVAILABLE` (extension unreachable or AWS failing), `TOO_MANY_REQUESTS`,
   *   `BAD_REQUEST`, `CONFIG_INVALID` (no token for the HTTP path), `INTERNAL`.
   */
  getSecret(aliasOrId: string, options?: GetSecretOptions): Promise<SecretValue> {
    if (options?.refreshNow) return this.refresh(aliasOrId);
    const entry = this.#memo.get(aliasOrId);
    if (entry !== undefined && this.#now() < entry.checkAt) return Promise.resolve(entry.secret);
    const running = this.#inflight.get(aliasOrId);
    if (running) return running;
    const p = this.#lookup(aliasOrId).finally(() => this.#inflight.delete(aliasOrId));
    this.#inflight.set(aliasOrId, p);
    return p;
  }

  /**
   * Makes the extension fetch the secret from AWS now (`refreshNow=true`) and
   * replaces the memo. Use it when the value was rejected (e.g. a provider's 401
   * after a rotation).
   */
  async refresh(aliasOrId: string): Promise<SecretValue> {
    const fresh = await this.#fetchHttp(aliasOrId, true);
    return this.#remember(aliasOrId, fresh, 0, this.#now());
  }

  /** Forgets the memoized value of one secret, or of all secrets. */
  invalidate(aliasOrId?: string): void {
    if (aliasOrId === undefined) this.#memo.clear();
    else this.#memo.delete(aliasOrId);
  }

  /** The path of the file envelope for `aliasOrId`. */
  filePath(aliasOrId: string): string {
    return join(this.#dir, secretFileName(aliasOrId));
  }

  async #lookup(id: string): Promise<SecretValue> {
    if (this.#useFiles) {
      const now = this.#now();
      const path = this.filePath(id);
      const fromFile = readEnvelope(path, now);
      const known = this.#memo.get(id);
      // A file older than the version we already hold (e.g. after refresh()) is not used.
      const older =
        fromFile !== undefined &&
        known !== undefined &&
        known.secret.versionId !== fromFile.versionId &&
        fromFile.fetchedAt < known.fetchedAt;
      if (fromFile !== undefined && !older) {
        return this.#remember(
          id,
          fromEnvelope(id, fromFile),
          fromFile.expiresAt,
          fromFile.fetchedAt,
        );
      }
    }
    const fresh = await this.#fetchHttp(id, false);
    return this.#remember(id, fresh, 0, this.#now());
  }

  #remember(
    id: string,
    secret: SecretValue,
    fileExpiresAt: number,
    fetchedAt: number,
  ): SecretValue {
    const now = this.#now();
    const old = this.#memo.get(id);
    const keep = old !== undefined && old.secret.versionId === secret.versionId && secret.versionId;
    const value = keep ? old.secret : secret;
    if (!keep) this.#redactor?.register(secret.value);
    const checkAt =
      fileExpiresAt > 0 ? Math.min(fileExpiresAt, now + this.#recheckMs) : now + this.#recheckMs;
    this.#memo.set(id, { secret: value, checkAt, fetchedAt });
    return value;
  }

  async #fetchHttp(id: string, refreshNow: boolean): Promise<SecretValue> {
    if (this.#token === undefined || this.#token === '') {
      throw new SidecarError(
        ErrorCode.ConfigInvalid,
        `cannot ask secret-sidecar for ${JSON.stringify(id)}: no session token (set AWS_SESSION_TOKEN or the token option)`,
      );
    }
    const url = new URL(`http://${this.#host}:${this.#port}${Routes.SecretsManagerGet}`);
    url.searchParams.set('secretId', id);
    if (refreshNow) url.searchParams.set('refreshNow', 'true');
    const headers = { [TOKEN_HEADER]: this.#token };
    const waitUntil = performance.now() + this.#startupWaitMs;
    let delay = this.#retryDelayMs;
    let resetRetried = false;
    let attempts = 0;
    for (;;) {
      attempts += 1;
      let answer: { status: number; body: string };
      try {
        answer = await httpGet(url, headers, this.#timeoutMs);
      } catch (err) {
        const code = socketCode(err);
        if (
          code !== undefined &&
          STARTING_UP_CODES.has(code) &&
          performance.now() + delay <= waitUntil
        ) {
          await sleep(delay);
          delay = Math.min(delay * 2, 200);
          continue;
        }
        if (code !== undefined && RESET_CODES.has(code) && !resetRetried) {
          resetRetried = true;
          continue;
        }
        throw this.#transportError(id, err, attempts);
      }
      if (answer.status !== 200) throw errorFromStatus(answer.status, answer.body, id);
      const secret = fromGetSecretValue(id, answer.body);
      if (secret === undefined) {
        throw new SidecarError(
          ErrorCode.Internal,
          `secret-sidecar answered 200 for ${JSON.stringify(id)} without a SecretString or SecretBinary`,
        );
      }
      return secret;
    }
  }

  #transportError(id: string, err: unknown, attempts: number): SidecarError {
    const where = `secret-sidecar at ${this.#host}:${this.#port}`;
    if (err instanceof HttpDeadlineError) {
      return new SidecarError(
        ErrorCode.UpstreamTimeout,
        `${where} did not answer for ${JSON.stringify(id)} within ${this.#timeoutMs} ms`,
        { cause: err, errorType: 'TimeoutError' },
      );
    }
    const code = socketCode(err) ?? 'error';
    return new SidecarError(
      ErrorCode.UpstreamUnavailable,
      `${where} is not reachable for ${JSON.stringify(id)} (${code} after ${attempts} attempt${attempts === 1 ? '' : 's'})`,
      { cause: err, errorType: 'ConnectionError' },
    );
  }
}

function readEnvelope(path: string, now: number): SecretEnvelope | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const envelope = parseEnvelope(text);
  return envelope !== undefined && envelope.expiresAt > now ? envelope : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
