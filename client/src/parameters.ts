/**
 * The functional API of Powertools Parameters (`getSecret`, `getParameter`,
 * `getParameters`, `getParametersByName`, `clearCaches`), served by the secret-sidecar
 * extension instead of direct SDK calls. Code written against
 * `@aws-lambda-powertools/parameters` compiles and behaves the same after changing the
 * import: the same option names and defaults (`maxAge` 5 s or
 * `POWERTOOLS_PARAMETERS_MAX_AGE`, `decrypt` from `POWERTOOLS_PARAMETERS_SSM_DECRYPT`),
 * the same transforms, typed results, and per-item errors under `_errors` when
 * `throwOnError` is false.
 */
import { ErrorCode } from '../../shared/errors.ts';
import { defaultClientSettings, defaultSidecarClient } from './default-client.ts';
import type { SecretValue } from './envelope.ts';
import { GetParameterError } from './errors.ts';
import { type JSONValue, type TransformOption, transformValue } from './transform.ts';

/** Options common to every read. */
interface GetOptionsBase {
  /** Seconds a value is reused in-process. @default `POWERTOOLS_PARAMETERS_MAX_AGE`, else 5 */
  readonly maxAge?: number;
  /** Skip the in-process cache and make the extension fetch from AWS now. */
  readonly forceFetch?: boolean;
}

/** `getSecret` options (Powertools' `SecretsGetOptions`). */
export interface SecretsGetOptions extends GetOptionsBase {
  /** `json` parses the value, `binary` decodes base64 to text. */
  readonly transform?: 'json' | 'binary';
  /** Which version: `VersionId` or `VersionStage` (as GetSecretValue takes them). */
  readonly sdkOptions?: { readonly VersionId?: string; readonly VersionStage?: string };
}

/** What `getSecret` returns for given options (Powertools' `SecretsGetOutput`). */
export type SecretsGetOutput<Explicit = undefined, Options = undefined> = undefined extends Explicit
  ? Options extends { transform: 'json' }
    ? JSONValue
    : Options extends { transform: 'binary' }
      ? string
      : string | Uint8Array
  : Explicit;

/** `getParameter` options (Powertools' `SSMGetOptions`). */
export interface SSMGetOptions extends GetOptionsBase {
  /** Decrypt a SecureString. @default `POWERTOOLS_PARAMETERS_SSM_DECRYPT`, else false */
  readonly decrypt?: boolean;
  readonly transform?: 'json' | 'binary';
  /** `WithDecryption`, as GetParameter takes it (`decrypt` wins). */
  readonly sdkOptions?: { readonly WithDecryption?: boolean };
}

/** What `getParameter` returns for given options (Powertools' `SSMGetOutput`). */
export type SSMGetOutput<Explicit = undefined, Options = undefined> = undefined extends Explicit
  ? Options extends { transform: 'json' }
    ? JSONValue
    : string
  : Explicit;

/** `getParametersByName` per-name and shared options (Powertools' `SSMGetParametersByNameOptions`). */
export interface SSMGetParametersByNameOptions {
  readonly maxAge?: number;
  /** Throw on the first failure (default), or list failed names under `_errors`. */
  readonly throwOnError?: boolean;
  readonly decrypt?: boolean;
  readonly transform?: 'json' | 'binary';
}

/** What `getParametersByName` returns (Powertools' `SSMGetParametersByNameOutput`). */
export type SSMGetParametersByNameOutput<T = undefined> = (undefined extends T
  ? Record<string, unknown>
  : Record<string, T>) & { _errors?: string[] };

/** `getSecrets` per-name and shared options. */
export interface SecretsGetByNameOptions {
  readonly maxAge?: number;
  /** Throw on the first failure (default), or list failed names under `_errors`. */
  readonly throwOnError?: boolean;
  readonly transform?: 'json' | 'binary';
}

/** `getParameters(path)` options (Powertools' `SSMGetMultipleOptions`). */
export interface SSMGetMultipleOptions extends GetOptionsBase {
  readonly decrypt?: boolean;
  readonly recursive?: boolean;
  readonly transform?: TransformOption;
  readonly throwOnTransformError?: boolean;
}

/** The key a batch reports per-item errors under, as Powertools names it. */
const ERRORS_KEY = '_errors';

/** Transformed values, one per version object and transform, so repeated reads return one object. */
const transformed = new WeakMap<SecretValue, Map<string, unknown>>();

/**
 * Reads a secret (Powertools' `getSecret`).
 *
 * @example
 * const { apiKey } = await getSecret<{ apiKey: string }>('prod/openai', { transform: 'json' });
 * @throws {GetParameterError} when it cannot be read; `TransformParameterError` when the transform fails.
 */
export async function getSecret<
  Explicit = undefined,
  Options extends SecretsGetOptions | undefined = SecretsGetOptions,
>(
  name: string,
  options?: NonNullable<Options & SecretsGetOptions>,
): Promise<SecretsGetOutput<Explicit, Options> | undefined> {
  const client = defaultSidecarClient();
  const value = await client.getSecret(name, {
    refreshNow: options?.forceFetch === true,
    maxAgeMs: maxAgeMs(options?.maxAge),
    ...(options?.sdkOptions?.VersionId ? { versionId: options.sdkOptions.VersionId } : {}),
    ...(options?.sdkOptions?.VersionStage ? { versionStage: options.sdkOptions.VersionStage } : {}),
  });
  return output(value, options?.transform, name) as SecretsGetOutput<Explicit, Options>;
}

/**
 * Reads a Parameter Store parameter (Powertools' `getParameter`).
 *
 * @throws {GetParameterError} when it cannot be read; `TransformParameterError` when the transform fails.
 */
export async function getParameter<
  Explicit = undefined,
  Options extends SSMGetOptions | undefined = SSMGetOptions,
>(
  name: string,
  options?: NonNullable<Options & SSMGetOptions>,
): Promise<SSMGetOutput<Explicit, Options> | undefined> {
  const value = await defaultSidecarClient().getParameter(name, {
    refreshNow: options?.forceFetch === true,
    decrypt: decryptOf(options?.decrypt, options?.sdkOptions?.WithDecryption),
    maxAgeMs: maxAgeMs(options?.maxAge),
  });
  return output(value, options?.transform, name) as SSMGetOutput<Explicit, Options>;
}

/**
 * Powertools' `getParameters(path)` reads every parameter under a path with
 * GetParametersByPath. Neither AWS's extension nor secret-sidecar serves that call, so
 * this always rejects, saying so: list the names with {@link getParametersByName}, or
 * use Powertools' `SSMProvider` for path reads.
 *
 * @throws {GetParameterError} (`BAD_REQUEST`) always.
 */
export async function getParameters(
  path: string,
  _options?: SSMGetMultipleOptions,
): Promise<Record<string, unknown> | undefined> {
  throw new GetParameterError(
    ErrorCode.BadRequest,
    `getParameters(${JSON.stringify(path)}) needs GetParametersByPath, which the secret-sidecar extension (like AWS's Parameters and Secrets extension) does not serve: name the parameters with getParametersByName, or use Powertools' SSMProvider for path reads`,
    { errorType: 'UnsupportedOperation' },
  );
}

/**
 * Reads several parameters in parallel (Powertools' `getParametersByName`). With
 * `throwOnError: false`, failed names are left out and listed under `_errors`.
 */
export async function getParametersByName<T = undefined>(
  parameters: Record<string, SSMGetParametersByNameOptions>,
  options?: SSMGetParametersByNameOptions,
): Promise<SSMGetParametersByNameOutput<T>> {
  const throwOnError = options?.throwOnError ?? true;
  return batch(parameters, throwOnError, (name, own) => {
    const merged = { ...options, ...own };
    return getParameter(name, {
      ...(merged.maxAge === undefined ? {} : { maxAge: merged.maxAge }),
      ...(merged.decrypt === undefined ? {} : { decrypt: merged.decrypt }),
      ...(merged.transform === undefined ? {} : { transform: merged.transform }),
    } as SSMGetOptions);
  }) as Promise<SSMGetParametersByNameOutput<T>>;
}

/**
 * Reads several secrets in parallel, with {@link getParametersByName}'s rules: a list of
 * names or a record of per-name options, and `_errors` when `throwOnError` is false.
 */
export async function getSecrets<T = undefined>(
  secrets: readonly string[] | Record<string, SecretsGetByNameOptions>,
  options?: SecretsGetByNameOptions,
): Promise<SSMGetParametersByNameOutput<T>> {
  const byName: Record<string, SecretsGetByNameOptions> = Array.isArray(secrets)
    ? Object.fromEntries(secrets.map((s) => [s, {}]))
    : (secrets as Record<string, SecretsGetByNameOptions>);
  const throwOnError = options?.throwOnError ?? true;
  return batch(byName, throwOnError, (name, own) => {
    const merged = { ...options, ...own };
    return getSecret(name, {
      ...(merged.maxAge === undefined ? {} : { maxAge: merged.maxAge }),
      ...(merged.transform === undefined ? {} : { transform: merged.transform }),
    } as SecretsGetOptions);
  }) as Promise<SSMGetParametersByNameOutput<T>>;
}

/** Forgets every value cached in this process (Powertools' `clearCaches`). */
export function clearCaches(): void {
  defaultSidecarClient().invalidate();
}

async function batch<O extends { readonly throwOnError?: boolean }>(
  items: Record<string, O>,
  throwOnError: boolean,
  read: (name: string, own: O) => Promise<unknown>,
): Promise<Record<string, unknown> & { _errors?: string[] }> {
  if (!throwOnError && Object.hasOwn(items, ERRORS_KEY)) {
    throw new GetParameterError(
      ErrorCode.BadRequest,
      `You cannot fetch a parameter named ${ERRORS_KEY} in graceful error mode.`,
    );
  }
  const names = Object.keys(items);
  const results = await Promise.allSettled(names.map((n) => read(n, items[n] as O)));
  const out: Record<string, unknown> & { _errors?: string[] } = {};
  const errors: string[] = [];
  results.forEach((r, i) => {
    const name = names[i] as string;
    if (r.status === 'fulfilled') out[name] = r.value;
    else if (throwOnError || (items[name] as O).throwOnError === true) throw r.reason;
    else errors.push(name);
  });
  if (!throwOnError) out[ERRORS_KEY] = errors;
  return out;
}

/** The value to hand back: raw (a string, or bytes for SecretBinary) or transformed. */
function output(
  value: SecretValue,
  transform: 'json' | 'binary' | undefined,
  name: string,
): unknown {
  const raw: string | Uint8Array = value.binary
    ? new Uint8Array(Buffer.from(value.value, 'base64'))
    : value.value;
  if (transform === undefined) return raw;
  let perVersion = transformed.get(value);
  if (!perVersion) {
    perVersion = new Map();
    transformed.set(value, perVersion);
  }
  if (!perVersion.has(transform)) perVersion.set(transform, transformValue(raw, transform, name));
  return perVersion.get(transform);
}

function maxAgeMs(seconds: number | undefined): number {
  const s = seconds ?? defaultClientSettings().maxAgeSeconds;
  if (!Number.isFinite(s) || s < 0) {
    throw new GetParameterError(
      ErrorCode.BadRequest,
      `maxAge must be a number of seconds >= 0, got ${String(seconds)}`,
    );
  }
  return s * 1000;
}

function decryptOf(decrypt: boolean | undefined, withDecryption: boolean | undefined): boolean {
  return decrypt ?? withDecryption ?? defaultClientSettings().ssmDecrypt;
}
