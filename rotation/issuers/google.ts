/**
 * Google issuer: API Keys API v2 (`apikeys.googleapis.com`), keys restricted to
 * `generativelanguage.googleapis.com` and bound to a service account (`serviceAccountEmail`):
 * since September 2026 Gemini rejects requests made with standard, unbound keys
 * (ai.google.dev/gemini-api/docs/api-key, read 2026-12-01).
 *  - mint:   POST /v2/projects/{p}/locations/global/keys?keyId={id} → long-running operation,
 *            polled with GET /v2/{operation}; the value is read with GET /v2/{key}/keyString
 *  - revoke: DELETE /v2/{key} (soft delete, restorable for 30 days)
 *  - verify: GET {apiBaseURL}/models?pageSize=1 with `x-goog-api-key`.
 * The key id is derived from the rotation tag, so a retried createSecret finds the key an
 * earlier attempt created and reads its value back instead of minting another.
 * The admin credential is a service-account key; its OAuth 2.0 access token comes from the
 * official google-auth-library (JWT-bearer grant). A failed operation that needs a human
 * (permission denied, an org policy) is a configuration error naming what to change, not an
 * outage.
 */

import { createHash } from 'node:crypto';
import { gaxios, JWT } from 'google-auth-library';
import { ErrorCode, SidecarError } from '../../shared/errors.ts';
import { apiBaseURL, type ProviderSecret } from '../../shared/provider-secret.ts';
import { RotationEnv } from '../config.ts';
import { AdminFields } from './admin.ts';
import { expectJson, joinUrl, providerError, requestJson, stringField } from './http.ts';
import type {
  IssuedKey,
  IssueRequest,
  IssuerFactory,
  KeyIssuer,
  ManagedKey,
  RevokeResult,
} from './types.ts';

/** Public defaults. */
export const GOOGLE_ADMIN_BASE_URL = 'https://apikeys.googleapis.com';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';
/** The only API a minted key may call. */
export const GEMINI_SERVICE = 'generativelanguage.googleapis.com';
/** Annotation that carries the rotation tag on keys this function mints. */
export const TAG_ANNOTATION = 'secret-sidecar/rotation-tag';

const NAME = 'Google API Keys';
/** The org policy that blocks binding keys to service accounts by default. */
export const BINDING_ORG_POLICY = 'iam.managed.disableServiceAccountApiKeyCreation';
const EMAIL = /^[a-z0-9-]+@[a-z0-9-]+\.iam\.gserviceaccount\.com$/;
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const OPERATION_POLLS = 20;
const MAX_PAGES = 50;

interface GoogleAdmin {
  readonly projectId: string;
  readonly clientEmail: string;
  readonly privateKey: string;
  readonly tokenURL: string;
  readonly adminBaseURL: string;
  /** The service account every minted key is bound to. */
  readonly serviceAccountEmail: string;
}

/** The API key id for a rotation tag: `rot-` + 40 hex characters (Google allows 63). */
export function googleKeyId(tag: string): string {
  return `rot-${createHash('sha256').update(tag).digest('hex').slice(0, 40)}`;
}

/**
 * Builds the Google issuer. Admin secret:
 * `{projectId, serviceAccountEmail, serviceAccountKey: {client_email, private_key, token_uri?}, adminBaseURL?, tokenURL?}`.
 */
export const googleIssuer: IssuerFactory = (deps) => {
  let admin: GoogleAdmin | undefined;
  let client: JWT | undefined;

  const loadAdmin = async (): Promise<GoogleAdmin> => {
    if (admin) return admin;
    const f = new AdminFields('google', await deps.adminSecret(), deps.redactor);
    const projectId = f.string('projectId', {
      re: /^[a-z0-9][a-z0-9-]{0,62}$/,
      allowed: 'a Google Cloud project id or number',
    });
    const sa = new AdminFields(
      'google serviceAccountKey',
      f.object('serviceAccountKey'),
      deps.redactor,
    );
    const clientEmail = sa.string('client_email');
    const privateKey = sa.secret('private_key');
    const tokenUri = sa.url('token_uri', GOOGLE_TOKEN_URL);
    sa.done();
    const parsed: GoogleAdmin = {
      projectId,
      clientEmail,
      privateKey,
      tokenURL: f.url('tokenURL', tokenUri),
      adminBaseURL: f.url('adminBaseURL', GOOGLE_ADMIN_BASE_URL),
      serviceAccountEmail: f.string('serviceAccountEmail', {
        re: EMAIL,
        allowed:
          'the email of the service account the keys are bound to (<name>@<project>.iam.gserviceaccount.com): Gemini rejects unbound keys since September 2026',
      }),
    };
    f.done();
    admin = parsed;
    return parsed;
  };

  const token = async (a: GoogleAdmin): Promise<string> => {
    client ??= jwtClient(a, deps.httpTimeoutMs);
    let t: string | null | undefined;
    try {
      t = (await client.getAccessToken()).token;
    } catch (err) {
      throw tokenError(err);
    }
    if (!t) {
      throw new SidecarError(
        ErrorCode.UpstreamRejected,
        `${NAME} token exchange: no access token`,
        {
          errorType: 'ProviderError',
        },
      );
    }
    deps.redactor.register(t);
    return t;
  };

  const auth = async (a: GoogleAdmin) => ({ authorization: `Bearer ${await token(a)}` });
  const keyName = (a: GoogleAdmin, keyId: string) =>
    keyId.startsWith('projects/')
      ? keyId
      : `projects/${a.projectId}/locations/global/keys/${keyId}`;
  const v2 = (a: GoogleAdmin, path: string) => joinUrl(a.adminBaseURL, `v2/${path}`);

  const waitForOperation = async (a: GoogleAdmin, op: unknown, what: string): Promise<unknown> => {
    let current = op as { name?: unknown; done?: unknown; error?: unknown; response?: unknown };
    for (let i = 0; i < OPERATION_POLLS; i++) {
      if (current.done === true) {
        if (current.error !== undefined) throw operationError(what, current.error, a);
        return current.response;
      }
      if (typeof current.name !== 'string') break;
      await deps.sleep(Math.min(250 * 2 ** i, 2000));
      current = (await expectJson(NAME, `poll ${what}`, v2(a, current.name), {
        headers: await auth(a),
        timeoutMs: deps.httpTimeoutMs,
      })) as typeof current;
    }
    throw new SidecarError(
      ErrorCode.UpstreamTimeout,
      `${NAME} ${what}: the operation did not finish`,
      {
        errorType: 'ProviderTimeout',
      },
    );
  };

  const getKey = async (
    a: GoogleAdmin,
    name: string,
  ): Promise<Record<string, unknown> | undefined> => {
    const res = await requestJson(NAME, 'get key', v2(a, name), {
      headers: await auth(a),
      timeoutMs: deps.httpTimeoutMs,
    });
    if (res.status === 404) return undefined;
    if (res.status < 200 || res.status > 299) throw providerError(NAME, 'get key', res);
    return (res.body ?? {}) as Record<string, unknown>;
  };

  const keyString = async (a: GoogleAdmin, name: string): Promise<string> => {
    const body = await expectJson(NAME, 'get key string', v2(a, `${name}/keyString`), {
      headers: await auth(a),
      timeoutMs: deps.httpTimeoutMs,
    });
    const value = stringField(body, 'keyString', NAME, 'get key string');
    deps.redactor.register(value);
    return value;
  };

  const issuer: KeyIssuer = {
    provider: 'google',

    async issue(req: IssueRequest): Promise<IssuedKey> {
      const a = await loadAdmin();
      const id = googleKeyId(req.tag);
      const name = keyName(a, id);
      const existing = await getKey(a, name);
      if (existing) {
        if (existing.deleteTime !== undefined) {
          throw new SidecarError(
            ErrorCode.Conflict,
            `${NAME}: key ${id} for this rotation was deleted; start a new rotation`,
            { errorType: 'ProviderError' },
          );
        }
        return { keyId: id, apiKey: await keyString(a, name), reused: true };
      }
      const create = await requestJson(
        NAME,
        'create key',
        v2(a, `projects/${a.projectId}/locations/global/keys?keyId=${encodeURIComponent(id)}`),
        {
          method: 'POST',
          headers: await auth(a),
          body: {
            displayName: req.tag.slice(0, 63),
            restrictions: { apiTargets: [{ service: GEMINI_SERVICE }] },
            annotations: { [TAG_ANNOTATION]: req.tag },
            serviceAccountEmail: a.serviceAccountEmail,
          },
          timeoutMs: deps.httpTimeoutMs,
        },
      );
      if (create.status === 409) {
        // Created concurrently by another attempt: read it back.
        return { keyId: id, apiKey: await keyString(a, name), reused: true };
      }
      if (create.status < 200 || create.status > 299) {
        throw (
          configurationError('create key', create.body, a) ??
          providerError(NAME, 'create key', create)
        );
      }
      await waitForOperation(a, create.body, 'create key');
      return { keyId: id, apiKey: await keyString(a, name), reused: false };
    },

    async activate(): Promise<boolean> {
      return false;
    },

    async verify(key: ProviderSecret): Promise<void> {
      const base = apiBaseURL(key) ?? GEMINI_BASE_URL;
      const res = await requestJson(
        'Gemini',
        'list models with the new key',
        joinUrl(base, 'models?pageSize=1'),
        {
          headers: { 'x-goog-api-key': key.apiKey },
          timeoutMs: deps.httpTimeoutMs,
        },
      );
      if (res.status >= 200 && res.status <= 299) return;
      const err = providerError('Gemini', 'list models with the new key', res);
      // Gemini answers 400 API_KEY_INVALID for a key it does not (yet) accept.
      if (res.status === 400 && JSON.stringify(res.body ?? '').includes('API_KEY_INVALID')) {
        throw new SidecarError(ErrorCode.Unauthorized, `${err.message}: API_KEY_INVALID`, {
          errorType: 'ProviderError',
        });
      }
      throw err;
    },

    async revoke(keyId: string): Promise<RevokeResult> {
      const a = await loadAdmin();
      const name = keyName(a, keyId);
      const existing = await getKey(a, name);
      if (!existing || existing.deleteTime !== undefined) return 'already-revoked';
      const res = await requestJson(NAME, 'delete key', v2(a, name), {
        method: 'DELETE',
        headers: await auth(a),
        timeoutMs: deps.httpTimeoutMs,
      });
      if (res.status === 404) return 'already-revoked';
      if (res.status < 200 || res.status > 299) throw providerError(NAME, 'delete key', res);
      await waitForOperation(a, res.body, 'delete key');
      return 'revoked';
    },

    async listManaged(tagPrefix: string): Promise<readonly ManagedKey[]> {
      const a = await loadAdmin();
      const out: ManagedKey[] = [];
      let pageToken: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const q = new URLSearchParams({ pageSize: '300', ...(pageToken ? { pageToken } : {}) });
        const body = (await expectJson(
          NAME,
          'list keys',
          v2(a, `projects/${a.projectId}/locations/global/keys?${q}`),
          { headers: await auth(a), timeoutMs: deps.httpTimeoutMs },
        )) as { keys?: unknown; nextPageToken?: unknown };
        for (const k of (Array.isArray(body?.keys) ? body.keys : []) as Record<string, unknown>[]) {
          const tag = (k.annotations as Record<string, unknown> | undefined)?.[TAG_ANNOTATION];
          const name = k.name;
          if (typeof tag !== 'string' || typeof name !== 'string' || !tag.startsWith(tagPrefix))
            continue;
          if (k.deleteTime !== undefined) continue;
          out.push({
            keyId: name.slice(name.lastIndexOf('/') + 1),
            token: tag.slice(tagPrefix.length),
          });
        }
        if (typeof body?.nextPageToken !== 'string' || body.nextPageToken === '') break;
        pageToken = body.nextPageToken;
      }
      return out;
    },
  };
  return issuer;
};

/**
 * The google-auth-library client for the admin service account. Its token endpoint is
 * Google's (`oauth2.googleapis.com/token`, fixed in the library); a `tokenURL` elsewhere (a
 * private endpoint, or a test's) is reached by rewriting that one URL in its transport.
 */
function jwtClient(a: GoogleAdmin, timeoutMs: number): JWT {
  const transporter = new gaxios.Gaxios({ timeout: timeoutMs, retry: false });
  if (a.tokenURL !== GOOGLE_TOKEN_URL) {
    transporter.interceptors.request.add({
      resolved: async (o) =>
        String(o.url) === GOOGLE_TOKEN_URL ? { ...o, url: new URL(a.tokenURL) } : o,
    });
  }
  return new JWT({ email: a.clientEmail, key: a.privateKey, scopes: [SCOPE], transporter });
}

/** google-auth-library's failure, mapped once: a refused credential is configuration. */
function tokenError(err: unknown): SidecarError {
  const status = err instanceof gaxios.GaxiosError ? err.status : undefined;
  const data =
    err instanceof gaxios.GaxiosError ? (err.response?.data as { error?: unknown }) : undefined;
  const oauth =
    typeof data?.error === 'string' ? data.error.replace(/[^a-z_]/g, '').slice(0, 40) : '';
  if (status === 400 || status === 401 || status === 403) {
    return new SidecarError(
      ErrorCode.ConfigInvalid,
      `the google admin secret (${RotationEnv.AdminSecretArn}) was refused by the token endpoint (HTTP ${status}${oauth ? ` ${oauth}` : ''}): check serviceAccountKey`,
      { cause: err, errorType: 'InvalidAdminSecret' },
    );
  }
  if (status !== undefined) {
    return providerError(NAME, 'token exchange', { status, body: undefined });
  }
  if (err instanceof Error && /private key|PEM|DECODER|asn1/i.test(err.message)) {
    return new SidecarError(
      ErrorCode.ConfigInvalid,
      `the google admin secret (${RotationEnv.AdminSecretArn}) is invalid: serviceAccountKey.private_key is not a PEM private key`,
      { cause: err, errorType: 'InvalidAdminSecret' },
    );
  }
  return new SidecarError(
    ErrorCode.UpstreamUnavailable,
    `${NAME} token exchange: could not connect`,
    {
      cause: err,
      errorType: 'ProviderUnavailable',
    },
  );
}

/** `google.rpc.Code` values that a retry will not fix. */
const PERMANENT: Readonly<Record<number, string>> = {
  3: 'INVALID_ARGUMENT',
  5: 'NOT_FOUND',
  7: 'PERMISSION_DENIED',
  9: 'FAILED_PRECONDITION',
  16: 'UNAUTHENTICATED',
};

/** What a human must change, for a refusal that needs one; undefined for anything else. */
function configurationError(what: string, body: unknown, a: GoogleAdmin): SidecarError | undefined {
  const e = (body as { error?: { status?: unknown; message?: unknown } } | undefined)?.error;
  const status = typeof e?.status === 'string' ? e.status : undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (status !== 'PERMISSION_DENIED' && status !== 'FAILED_PRECONDITION') return undefined;
  return new SidecarError(
    ErrorCode.ConfigInvalid,
    `${NAME} ${what} was refused (${status}): ${fix(status, message, a)}`,
    {
      errorType: 'ProviderConfiguration',
    },
  );
}

function fix(status: string, message: string, a: GoogleAdmin): string {
  if (message.includes(BINDING_ORG_POLICY) || status === 'FAILED_PRECONDITION') {
    return `lift the org policy ${BINDING_ORG_POLICY} for project ${a.projectId}, which blocks binding API keys to service accounts (docs/rotation.md, "Google")`;
  }
  if (message.includes('actAs')) {
    return `grant the rotation's service account ${a.clientEmail} iam.serviceAccounts.actAs (roles/iam.serviceAccountUser) on ${a.serviceAccountEmail}`;
  }
  return `grant ${a.clientEmail} roles/serviceusage.apiKeysAdmin on project ${a.projectId}, and iam.serviceAccounts.actAs on ${a.serviceAccountEmail}`;
}

/** A finished operation's `google.rpc.Status`: configuration when a retry cannot help. */
function operationError(what: string, error: unknown, a: GoogleAdmin): SidecarError {
  const e = (error ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'number' ? e.code : undefined;
  const status = code === undefined ? undefined : PERMANENT[code];
  if (status !== undefined) {
    const message = typeof e.message === 'string' ? e.message : '';
    const fixText =
      status === 'PERMISSION_DENIED' || status === 'FAILED_PRECONDITION'
        ? fix(status, message, a)
        : 'the request was refused: check the admin secret';
    return new SidecarError(
      ErrorCode.ConfigInvalid,
      `${NAME} ${what}: the operation failed (${status}): ${fixText}`,
      { errorType: 'ProviderConfiguration' },
    );
  }
  return new SidecarError(
    ErrorCode.UpstreamUnavailable,
    `${NAME} ${what}: the operation failed (code ${code ?? 'unknown'}); it may succeed on retry`,
    { errorType: 'ProviderError' },
  );
}
