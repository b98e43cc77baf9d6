/**
 * The secret-sidecar client library: how Lambda code reads a secret or parameter
 * that the extension keeps fresh.
 *
 * Lookup order:
 *  1. the in-process memo, while its freshness window is open (a map lookup and one
 *     clock read: the warm path);
 *  2. the extension's file envelope, when it is for this source and name and
 *     `expiresAt > now`;
 *  3. the extension's HTTP endpoint (token header, short timeout, bounded retry while
 *     the extension starts, one retry after a connection reset).
 *
 * Sources are distinct: a parameter is never returned as a secret, from a file or
 * from HTTP. The memo is keyed by what was asked and holds one object per version:
 * reading the same version again returns the same {@link SecretValue}, so callers can
 * cache work derived from it (a parsed JSON value, an SDK client) by identity.
 *
 * Freshness: a memoized value is trusted for `recheckMs` (default 1 s) or the call's
 * `maxAgeMs`, and never past the file's `expiresAt`. The wall clock keeps running while
 * Lambda freezes the sandbox, so the window also closes across a freeze. A value a
 * provider rejects is replaced at once with {@link SidecarClient.refresh}.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../../shared/errors.ts';
import { globalRedactor, type Redactor } from '../../shared/redact.ts';
import {
  DEFAULT_HTTP_PORT,
  DEFAULT_SECRET_DIR,
  parseEnvelope,
  Routes,
  type SecretEnvelope,
  SourceKind,
  secretFileName,
  TOKEN_HEADER,
} from '../../shared/sidecar-protocol.ts';
import {
  fromEnvelope,
  fromGetParameter,
  fromGetSecretValue,
  type SecretValue,
} from './envelope.ts';
import {
  errorFromStatus,
  GetParameterError,
  RESET_CODES,
  STARTING_UP_CODES,
  socketCode,
} from './errors.ts';
import { HttpDeadlineError, httpGet } from './http.ts';

export type { SecretOrigin, SecretValue } from './envelope.ts';

/** The stage files hold and a lookup without a version means. */
const AWSCURRENT = 'AWSCURRENT';

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
  /** A specific version, by id. Exclusive with `versionStage`. */
  readonly versionId?: string;
  /** A specific stage (`AWSPREVIOUS`, ...). @default 'AWSCURRENT' */
  readonly versionStage?: string;
  /** Longest the memo may answer without a look at the file or the extension, in ms. @default `recheckMs` */
  readonly maxAgeMs?: number;
}

/** Per-call options of {@link SidecarClient.getParameter}. */
export interface GetParameterOptions {
  /** Skip memo and file and make the extension fetch from AWS now. */
  readonly refreshNow?: boolean;
  /** Decrypt a SecureString (`withDecryption=true`). @default false, as GetParameter */
  readonly decrypt?: boolean;
  /** Longest the memo may answer without a look at the file or the extension, in ms. @default `recheckMs` */
  readonly maxAgeMs?: number;
}

/** What one lookup is for. */
interface Lookup {
  readonly source: SourceKind;
  readonly id: string;
  readonly key: string;
  /** Files hold the current, decrypted value of configured items: usable only for that. */
  readonly fileOk: boolean;
  /** A secret's AWSCURRENT with no version asked for: memoized in the by-id map too. */
  readonly current: boolean;
  readonly query: Readonly<Record<string, string>>;
  readonly maxAgeMs: number | undefined;
}

interface MemoEntry {
  secret: SecretValue;
  /** Until then the memo is returned without any I/O. */
  checkAt: number;
  /** When this value was fetched from AWS (file) or from the extension (HTTP), epoch ms. */
  fetchedAt: number;
}

/**
 * Reads secrets and parameters from the secret-sidecar extension. Create one per
 * process and reuse it.
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
  /**
   * The memo entries of plain `getSecret(id)` lookups (stage AWSCURRENT, no version), by id:
   * the same entries as in {@link #memo}, reached without building a key or a lookup.
   */
  readonly #current = new Map<string, MemoEntry>();
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
   * @throws {GetParameterError} with `code` `NOT_FOUND`, `ACCESS_DENIED`, `FORBIDDEN` /
   *   `UNAUTHORIZED` (token), `UPSTREAM_TIMEOUT`, `UPSTREAM_UNAVAILABLE` (extension
   *   unreachable or AWS failing), `TOO_MANY_REQUESTS`, `BAD_REQUEST`, `CONFIG_INVALID`
   *   (no token for the HTTP path) or `INTERNAL`.
   */
  getSecret(aliasOrId: string, options?: GetSecretOptions): Promise<SecretValue> {
    if (options === undefined || isPlain(options)) {
      const entry = this.#current.get(aliasOrId);
      if (entry !== undefined && this.#now() < entry.checkAt) return Promise.resolve(entry.secret);
    }
    return this.#getSecret(aliasOrId, options ?? {});
  }

  #getSecret(aliasOrId: string, options: GetSecretOptions): Promise<SecretValue> {
    const stage = options.versionId ? undefined : (options.versionStage ?? AWSCURRENT);
    const query: Record<string, string> = { secretId: aliasOrId };
    if (options.versionId) query.versionId = options.versionId;
    if (stage !== undefined && stage !== AWSCURRENT) query.versionStage = stage;
    return this.#get(
      {
        source: SourceKind.SecretsManager,
        id: aliasOrId,
        key: `s\u0000${aliasOrId}\u0000${options.versionId ?? ''}\u0000${stage ?? ''}`,
        fileOk: options.versionId === undefined && stage === AWSCURRENT,
        current: options.versionId === undefined && stage === AWSCURRENT,
        query,
        maxAgeMs: options.maxAgeMs,
      },
      options.refreshNow === true,
    );
  }

  /**
   * Returns the current value of a Parameter Store parameter.
   *
   * @param nameOrAlias - The alias configured in the extension, or the parameter's name
   *   (`name:label` and `name:version` select one, as GetParameter does).
   * @throws {GetParameterError} as {@link SidecarClient.getSecret}.
   */
  getParameter(nameOrAlias: string, options: GetParameterOptions = {}): Promise<SecretValue> {
    const decrypt = options.decrypt === true;
    const query: Record<string, string> = { name: nameOrAlias };
    if (decrypt) query.withDecryption = 'true';
    return this.#get(
      {
        source: SourceKind.Ssm,
        id: nameOrAlias,
        key: `p\u0000${nameOrAlias}\u0000${decrypt ? 1 : 0}`,
        // Files hold decrypted values: a SecureString asked for without decryption must not come from one.
        fileOk: decrypt,
        current: false,
        query,
        maxAgeMs: options.maxAgeMs,
      },
      options.refreshNow === true,
    );
  }

  /**
   * Makes the extension fetch the secret from AWS now (`refreshNow=true`) and
   * replaces the memo. Use it when the value was rejected (e.g. a provider's 401
   * after a rotation).
   */
  refresh(aliasOrId: string): Promise<SecretValue> {
    return this.getSecret(aliasOrId, { refreshNow: true });
  }

  /** Forgets the memoized values of one alias or id (both sources), or of everything. */
  invalidate(aliasOrId?: string): void {
    if (aliasOrId === undefined) {
      this.#memo.clear();
      this.#current.clear();
      return;
    }
    this.#current.delete(aliasOrId);
    for (const key of this.#memo.keys()) {
      if (key.split('\u0000')[1] === aliasOrId) this.#memo.delete(key);
    }
  }

  /** The path of the file envelope for `aliasOrId`. */
  filePath(aliasOrId: string): string {
    return join(this.#dir, secretFileName(aliasOrId));
  }

  #get(lookup: Lookup, refreshNow: boolean): Promise<SecretValue> {
    if (refreshNow) return this.#refresh(lookup);
    const entry = this.#memo.get(lookup.key);
    if (entry !== undefined && this.#now() < entry.checkAt) return Promise.resolve(entry.secret);
    const running = this.#inflight.get(lookup.key);
    if (running) return running;
    const p = this.#lookup(lookup).finally(() => this.#inflight.delete(lookup.key));
    this.#inflight.set(lookup.key, p);
    return p;
  }

  async #refresh(lookup: Lookup): Promise<SecretValue> {
    const fresh = await this.#fetchHttp(lookup, true);
    return this.#remember(lookup, fresh, 0, this.#now());
  }

  async #lookup(lookup: Lookup): Promise<SecretValue> {
    if (this.#useFiles && lookup.fileOk) {
      const now = this.#now();
      const fromFile = readEnvelope(this.filePath(lookup.id), lookup, now);
      const known = this.#memo.get(lookup.key);
      // A file older than the version we already hold (e.g. after refresh()) is not used.
      const older =
        fromFile !== undefined &&
        known !== undefined &&
        known.secret.versionId !== fromFile.versionId &&
        fromFile.fetchedAt < known.fetchedAt;
      if (fromFile !== undefined && !older) {
        return this.#remember(
          lookup,
          fromEnvelope(lookup.id, fromFile),
          fromFile.expiresAt,
          fromFile.fetchedAt,
        );
      }
    }
    const fresh = await this.#fetchHttp(lookup, false);
    return this.#remember(lookup, fresh, 0, this.#now());
  }

  #remember(
    lookup: Lookup,
    secret: SecretValue,
    fileExpiresAt: number,
    fetchedAt: number,
  ): SecretValue {
    const now = this.#now();
    const old = this.#memo.get(lookup.key);
    const keep = old !== undefined && old.secret.versionId === secret.versionId && secret.versionId;
    const value = keep ? old.secret : secret;
    // Masked from here on. A plain (undecrypted) parameter is configuration, not a secret.
    // Old versions stay registered: a caller may still hold and log one.
    if (!keep && (secret.source === SourceKind.SecretsManager || lookup.fileOk)) {
      this.#redactor?.register(secret.value);
    }
    const window = now + (lookup.maxAgeMs ?? this.#recheckMs);
    const checkAt = fileExpiresAt > 0 ? Math.min(fileExpiresAt, window) : window;
    const entry = { secret: value, checkAt, fetchedAt };
    this.#memo.set(lookup.key, entry);
    if (lookup.current) this.#current.set(lookup.id, entry);
    return value;
  }

  async #fetchHttp(lookup: Lookup, refreshNow: boolean): Promise<SecretValue> {
    const what = `${lookup.source === SourceKind.Ssm ? 'parameter' : 'secret'} ${JSON.stringify(lookup.id)}`;
    if (this.#token === undefined || this.#token === '') {
      throw new GetParameterError(
        ErrorCode.ConfigInvalid,
        `cannot ask secret-sidecar for ${what}: no session token (set AWS_SESSION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN, or the token option)`,
      );
    }
    const route = lookup.source === SourceKind.Ssm ? Routes.ParameterGet : Routes.SecretsManagerGet;
    const url = new URL(`http://${this.#host}:${this.#port}${route}`);
    for (const [k, v] of Object.entries(lookup.query)) url.searchParams.set(k, v);
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
        throw this.#transportError(what, err, attempts);
      }
      if (answer.status !== 200) throw errorFromStatus(answer.status, answer.body, what);
      const value =
        lookup.source === SourceKind.Ssm
          ? fromGetParameter(lookup.id, answer.body)
          : fromGetSecretValue(lookup.id, answer.body);
      if (value === undefined) {
        throw new GetParameterError(
          ErrorCode.Internal,
          `secret-sidecar answered 200 for ${what} without a value of the expected shape`,
          { status: 200 },
        );
      }
      return value;
    }
  }

  #transportError(what: string, err: unknown, attempts: number): GetParameterError {
    const where = `secret-sidecar at ${this.#host}:${this.#port}`;
    if (err instanceof HttpDeadlineError) {
      return new GetParameterError(
        ErrorCode.UpstreamTimeout,
        `${where} did not answer for ${what} within ${this.#timeoutMs} ms`,
        { cause: err, errorType: 'TimeoutError' },
      );
    }
    const code = socketCode(err) ?? 'error';
    return new GetParameterError(
      ErrorCode.UpstreamUnavailable,
      `${where} is not reachable for ${what} (${code} after ${attempts} attempt${attempts === 1 ? '' : 's'})`,
      { cause: err, errorType: 'ConnectionError' },
    );
  }
}

function readEnvelope(path: string, lookup: Lookup, now: number): SecretEnvelope | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const envelope = parseEnvelope(text, { source: lookup.source, name: lookup.id });
  return envelope !== undefined && envelope.expiresAt > now ? envelope : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Options whose memo entry is the plain current one. `maxAgeMs` only shapes a new entry,
 * never a hit, so it does not count.
 */
function isPlain(o: GetSecretOptions): boolean {
  return (
    o.versionId === undefined &&
    (o.versionStage === undefined || o.versionStage === AWSCURRENT) &&
    o.refreshNow !== true
  );
}
