/**
 * OpenAI issuer: one key per rotation on a project service account, through the
 * Administration API (`Authorization: Bearer <admin key>`):
 *  - mint:   POST /organization/projects/{project}/service_accounts/{sa}/api_keys {name}
 *  - list:   GET  /organization/projects/{project}/api_keys?limit=100&after=...
 *  - revoke: DELETE /organization/projects/{project}/api_keys/{key}
 *  - verify: GET {baseURL}/models with the new key (the cheapest authenticated call).
 * OpenAI returns a key's value only once, so a key left by an attempt whose PutSecretValue
 * failed cannot be read back: a retry mints a replacement and the rotator's sweep revokes the
 * leftover (it is tagged with the token but is not the key the stored value names).
 */

import { apiBaseURL, type ProviderSecret } from '../../shared/provider-secret.ts';
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
export const OPENAI_ADMIN_BASE_URL = 'https://api.openai.com/v1';
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

const NAME = 'OpenAI';
const ID = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_PAGES = 50;

interface OpenAIAdmin {
  readonly adminKey: string;
  readonly projectId: string;
  readonly serviceAccountId: string;
  readonly adminBaseURL: string;
}

interface ListedKey {
  readonly id: string;
  readonly name: string;
}

/** Builds the OpenAI issuer. Admin secret: `{adminKey, projectId, serviceAccountId, adminBaseURL?}`. */
export const openaiIssuer: IssuerFactory = (deps) => {
  let admin: OpenAIAdmin | undefined;
  const loadAdmin = async (): Promise<OpenAIAdmin> => {
    if (admin) return admin;
    const f = new AdminFields('openai', await deps.adminSecret(), deps.redactor);
    const id = { re: ID, allowed: 'an id of letters, digits, "_" or "-"' };
    const parsed: OpenAIAdmin = {
      adminKey: f.secret('adminKey'),
      projectId: f.string('projectId', id),
      serviceAccountId: f.string('serviceAccountId', id),
      adminBaseURL: f.url('adminBaseURL', OPENAI_ADMIN_BASE_URL),
    };
    f.done();
    admin = parsed;
    return parsed;
  };
  const headers = (a: OpenAIAdmin) => ({ authorization: `Bearer ${a.adminKey}` });
  const projectUrl = (a: OpenAIAdmin, path: string) =>
    joinUrl(a.adminBaseURL, `organization/projects/${encodeURIComponent(a.projectId)}/${path}`);

  const listKeys = async (a: OpenAIAdmin): Promise<ListedKey[]> => {
    const out: ListedKey[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const q = new URLSearchParams({ limit: '100', ...(after ? { after } : {}) });
      const body = (await expectJson(
        NAME,
        'list project API keys',
        projectUrl(a, `api_keys?${q}`),
        {
          headers: headers(a),
          timeoutMs: deps.httpTimeoutMs,
        },
      )) as { data?: unknown; has_more?: unknown; last_id?: unknown };
      const data = Array.isArray(body?.data) ? body.data : [];
      for (const k of data as Record<string, unknown>[]) {
        if (typeof k.id === 'string' && typeof k.name === 'string')
          out.push({ id: k.id, name: k.name });
      }
      if (body?.has_more !== true || typeof body.last_id !== 'string') break;
      after = body.last_id;
    }
    return out;
  };

  const deleteKey = async (a: OpenAIAdmin, keyId: string): Promise<RevokeResult> => {
    const res = await requestJson(
      NAME,
      'delete project API key',
      projectUrl(a, `api_keys/${encodeURIComponent(keyId)}`),
      { method: 'DELETE', headers: headers(a), timeoutMs: deps.httpTimeoutMs },
    );
    if (res.status === 404) return 'already-revoked';
    if (res.status < 200 || res.status > 299)
      throw providerError(NAME, 'delete project API key', res);
    return 'revoked';
  };

  const issuer: KeyIssuer = {
    provider: 'openai',

    async issue(req: IssueRequest): Promise<IssuedKey> {
      const a = await loadAdmin();
      const body = await expectJson(
        NAME,
        'create service account API key',
        projectUrl(a, `service_accounts/${encodeURIComponent(a.serviceAccountId)}/api_keys`),
        {
          method: 'POST',
          headers: headers(a),
          body: { name: req.tag },
          timeoutMs: deps.httpTimeoutMs,
        },
      );
      const apiKey = stringField(body, 'value', NAME, 'create service account API key');
      deps.redactor.register(apiKey);
      const keyId = stringField(body, 'id', NAME, 'create service account API key');
      return { keyId, apiKey, reused: false };
    },

    async activate(): Promise<boolean> {
      return false;
    },

    async verify(key: ProviderSecret): Promise<void> {
      const base = apiBaseURL(key) ?? OPENAI_BASE_URL;
      await expectJson(NAME, 'list models with the new key', joinUrl(base, 'models'), {
        headers: { authorization: `Bearer ${key.apiKey}` },
        timeoutMs: deps.httpTimeoutMs,
      });
    },

    async revoke(keyId: string): Promise<RevokeResult> {
      return deleteKey(await loadAdmin(), keyId);
    },

    async listManaged(tagPrefix: string): Promise<readonly ManagedKey[]> {
      const keys = await listKeys(await loadAdmin());
      return keys
        .filter((k) => k.name.startsWith(tagPrefix))
        .map((k) => ({ keyId: k.id, token: k.name.slice(tagPrefix.length) }));
    },
  };
  return issuer;
};
