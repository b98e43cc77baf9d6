/**
 * OpenAI issuer: one project service account per rotation generation, through the official
 * `openai` SDK's Administration API resources (`Authorization: Bearer <admin key>`).
 *  - mint:   POST /organization/projects/{p}/service_accounts {name: <tag>} → the account and its
 *            key (`api_key.value`); with `keyExpiresInSeconds` (an org policy capping key
 *            lifetime) the key is minted with POST …/service_accounts/{sa}/api_keys
 *            {name, expires_in_seconds} instead
 *  - revoke: DELETE /organization/projects/{p}/service_accounts/{sa}: removes the account and
 *            every key it has. The per-key DELETE …/api_keys/{id} is not used: openai-node and
 *            openai-python (2026-08-21) document that it fails for service-account keys, a
 *            later reference says it works, and deleting the account works under either.
 *  - list:   GET …/service_accounts (all pages), by name prefix
 *  - verify: GET {apiBaseURL}/models with the new key.
 * The stored `keyId` is the service account's id. OpenAI shows a key's value only once, so a
 * key minted by an attempt whose PutSecretValue failed cannot be read back: a retry mints a new
 * generation and the rotator's sweep deletes the leftover account (same tag, other id).
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, OpenAI } from 'openai';
import { ErrorCode, SidecarError } from '../../shared/errors.ts';
import { apiBaseURL, type ProviderSecret } from '../../shared/provider-secret.ts';
import { AdminFields } from './admin.ts';
import { sdkCall } from './sdk-errors.ts';
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
/** Pages of service accounts read at most (100 each). */
const MAX_PAGES = 50;
/** Shortest key lifetime accepted: a key must outlive one rotation interval and its grace. */
const MIN_LIFETIME_SECONDS = 4 * 3600;

interface OpenAIAdmin {
  readonly adminKey: string;
  readonly projectId: string;
  readonly adminBaseURL: string;
  /** Set where an org or project policy caps key lifetime. */
  readonly keyExpiresInSeconds: number | undefined;
}

/**
 * Builds the OpenAI issuer. Admin secret:
 * `{adminKey, projectId, adminBaseURL?, keyExpiresInSeconds?}`.
 */
export const openaiIssuer: IssuerFactory = (deps) => {
  let admin: OpenAIAdmin | undefined;
  let client: OpenAI | undefined;
  const loadAdmin = async (): Promise<OpenAIAdmin> => {
    if (admin) return admin;
    const f = new AdminFields('openai', await deps.adminSecret(), deps.redactor);
    const id = { re: ID, allowed: 'an id of letters, digits, "_" or "-"' };
    const parsed: OpenAIAdmin = {
      adminKey: f.secret('adminKey'),
      projectId: f.string('projectId', id),
      adminBaseURL: f.url('adminBaseURL', OPENAI_ADMIN_BASE_URL),
      keyExpiresInSeconds: f.integer('keyExpiresInSeconds', {
        min: MIN_LIFETIME_SECONDS,
        max: 10 * 365 * 86_400,
      }),
    };
    f.done();
    admin = parsed;
    return parsed;
  };
  const adminClient = async (): Promise<{ a: OpenAIAdmin; c: OpenAI }> => {
    const a = await loadAdmin();
    client ??= sdkClient({ adminAPIKey: a.adminKey }, a.adminBaseURL, deps.httpTimeoutMs);
    return { a, c: client };
  };

  const issuer: KeyIssuer = {
    provider: 'openai',

    async issue(req: IssueRequest): Promise<IssuedKey> {
      const { a, c } = await adminClient();
      const accounts = c.admin.organization.projects.serviceAccounts;
      const created = await call('create service account', () =>
        accounts.create(a.projectId, { name: req.tag }),
      );
      let value = created.api_key?.value;
      if (a.keyExpiresInSeconds !== undefined || value === undefined) {
        if (a.keyExpiresInSeconds === undefined) {
          // The project gave the new account no key: a lifetime policy is the documented cause.
          await call('delete service account', () =>
            accounts.delete(created.id, { project_id: a.projectId }),
          ).catch(() => undefined);
          throw new SidecarError(
            ErrorCode.ConfigInvalid,
            `${NAME}: the new service account came without a key, as when an org or project policy caps key lifetime: set keyExpiresInSeconds in the openai admin secret`,
            { errorType: 'InvalidAdminSecret' },
          );
        }
        const params = {
          project_id: a.projectId,
          name: req.tag,
          // Documented in the API reference (November 2026); not yet in the SDK's types.
          expires_in_seconds: a.keyExpiresInSeconds,
        };
        const key = await call('create service account API key', () =>
          accounts.apiKeys.create(created.id, params),
        );
        value = key.value;
      }
      if (typeof value !== 'string' || value === '') {
        throw new SidecarError(
          ErrorCode.UpstreamRejected,
          `${NAME} create service account: the answer has no key value`,
          { errorType: 'ProviderError' },
        );
      }
      deps.redactor.register(value);
      return { keyId: created.id, apiKey: value, reused: false };
    },

    async activate(): Promise<boolean> {
      return false;
    },

    async verify(key: ProviderSecret): Promise<void> {
      const base = apiBaseURL(key) ?? OPENAI_BASE_URL;
      const c = sdkClient({ apiKey: key.apiKey }, base, deps.httpTimeoutMs);
      await call('list models with the new key', () => c.models.list());
    },

    async revoke(keyId: string): Promise<RevokeResult> {
      const { a, c } = await adminClient();
      try {
        await call('delete service account', () =>
          c.admin.organization.projects.serviceAccounts.delete(keyId, {
            project_id: a.projectId,
          }),
        );
        return 'revoked';
      } catch (err) {
        if (err instanceof SidecarError && err.code === ErrorCode.NotFound) {
          return 'already-revoked';
        }
        throw err;
      }
    },

    async listManaged(tagPrefix: string): Promise<readonly ManagedKey[]> {
      const { a, c } = await adminClient();
      const out: ManagedKey[] = [];
      await call('list service accounts', async () => {
        let page = await c.admin.organization.projects.serviceAccounts.list(a.projectId, {
          limit: 100,
        });
        for (let n = 0; n < MAX_PAGES; n++) {
          for (const sa of page.data) {
            if (sa.name.startsWith(tagPrefix)) {
              out.push({ keyId: sa.id, token: sa.name.slice(tagPrefix.length) });
            }
          }
          if (!page.hasNextPage()) break;
          page = await page.getNextPage();
        }
      });
      return out;
    },
  };
  return issuer;
};

/** An SDK client with no retries of its own (the rotation retries), no env defaults, no logs. */
function sdkClient(
  auth: { apiKey: string } | { adminAPIKey: string },
  baseURL: string,
  timeoutMs: number,
): OpenAI {
  return new OpenAI({
    apiKey: null,
    adminAPIKey: null,
    ...auth,
    organization: null,
    project: null,
    baseURL,
    timeout: timeoutMs,
    maxRetries: 0,
    logLevel: 'off',
  });
}

/** Runs one SDK call; its errors are mapped in {@link sdkCall}. */
function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  return sdkCall(NAME, { APIError, APIConnectionError, APIConnectionTimeoutError }, operation, run);
}
