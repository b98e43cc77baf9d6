/**
 * A fake OpenAI Administration API (project service accounts and their keys) plus
 * `GET /v1/models`, speaking OpenAI's real paths, headers and JSON, errors included.
 *
 * Follows: openai-node 6.49.0 (`resources/admin/organization/projects/service-accounts*`,
 * `…/projects/api-keys`), read 2026-12-01, and the Administration API reference as of
 * 2026-11-17. Behaviours encoded, as those sources state them:
 *  - creating a service account returns it with one key in `api_key.value`
 *    (`create_service_account_only` returns none, role `none`);
 *  - `DELETE …/api_keys/{id}` answers an error for a key that belongs to a service account
 *    (openai-node / openai-python 2026-08-21); `state.perKeyDeleteWorks = true` gives the
 *    newer reference's behaviour instead;
 *  - `DELETE …/service_accounts/{id}` removes the account and every key it has;
 *  - listing keys without `owner_project_access` may exclude enabled keys (here: keys of
 *    service accounts are left out unless it is `any` or `active`);
 *  - with a key-lifetime policy (`state.maxKeyLifetimeSeconds`), a new service account gets
 *    no key, and `POST …/service_accounts/{sa}/api_keys` requires `expires_in_seconds`.
 * Minted keys are added to a {@link KeyRegistry}; removed keys are revoked there, so a fake
 * inference API accepts only live keys.
 *
 * Paths (base `…/v1`):
 *  POST   /organization/projects/{p}/service_accounts              {name, create_service_account_only?}
 *  GET    /organization/projects/{p}/service_accounts?limit&after
 *  GET    /organization/projects/{p}/service_accounts/{sa}
 *  DELETE /organization/projects/{p}/service_accounts/{sa}
 *  POST   /organization/projects/{p}/service_accounts/{sa}/api_keys {name?, expires_in_seconds?}
 *  GET    /organization/projects/{p}/api_keys?limit&after&owner_project_access
 *  DELETE /organization/projects/{p}/api_keys/{id}
 *  GET    /models                                                   (with a project key)
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KeyRegistry } from './key-registry.ts';
import { listenLocal, readJson, sendJson } from './local-server.ts';
import { RouteFaults } from './route-faults.ts';

/** Routes that can be made to fail. */
export type OpenAIAdminRoute =
  | 'create'
  | 'list'
  | 'get'
  | 'delete'
  | 'create-key'
  | 'list-keys'
  | 'delete-key'
  | 'models';

/** A key the fake knows. */
export interface OpenAIFakeKey {
  readonly id: string;
  readonly name: string;
  readonly value: string;
  readonly createdAt: number;
  /** Epoch s, when minted with `expires_in_seconds`. */
  readonly expiresAt: number | undefined;
}

/** A service account and its keys. */
export interface OpenAIFakeServiceAccount {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly role: 'member' | 'none';
  readonly keys: Map<string, OpenAIFakeKey>;
}

/** Options of the fake. */
export interface OpenAIAdminOptions {
  readonly registry?: KeyRegistry;
  /** @default 'sk-admin-fake-…' (random) */
  readonly adminKey?: string;
  /** @default 'proj_fake' */
  readonly projectId?: string;
}

/** The fake's state, for tests to arrange and assert. */
export class OpenAIAdminState {
  readonly registry: KeyRegistry;
  readonly adminKey: string;
  readonly projectId: string;
  /** Live service accounts by id (deleted ones are removed). */
  readonly serviceAccounts = new Map<string, OpenAIFakeServiceAccount>();
  /** Ids of deleted service accounts, in order. */
  readonly deleted: string[] = [];
  /** Service accounts created through the API (each a rotation generation). */
  minted = 0;
  /** A newly minted key is refused by /models this many times (propagation delay). */
  propagationRejections = 0;
  /** The newer reference's behaviour: per-key DELETE also works for service-account keys. */
  perKeyDeleteWorks = false;
  /** An org or project policy capping key lifetime. */
  maxKeyLifetimeSeconds: number | undefined;
  readonly #notYet = new Map<string, number>();
  readonly #faults = new RouteFaults<OpenAIAdminRoute>();

  constructor(options: OpenAIAdminOptions = {}) {
    this.registry = options.registry ?? new KeyRegistry();
    this.adminKey = options.adminKey ?? `sk-admin-fake-${randomBytes(16).toString('hex')}`;
    this.projectId = options.projectId ?? 'proj_fake';
  }

  /** Makes the next `times` calls to `route` answer `status` with an OpenAI error body. */
  failNext(route: OpenAIAdminRoute, status: number, times = 1): void {
    this.#faults.failNext(route, status, times);
  }

  /** A service account with a key, as the Console makes one (not counted in `minted`). */
  seedKey(name = 'seed'): { readonly id: string; readonly value: string } {
    const sa = this.#newAccount(name, 'member');
    const key = this.#newKey(sa, name, undefined);
    return { id: sa.id, value: key.value };
  }

  /** Live service accounts whose names start with `prefix`. */
  keysNamed(prefix: string): OpenAIFakeServiceAccount[] {
    return [...this.serviceAccounts.values()].filter((a) => a.name.startsWith(prefix));
  }

  /** Every live key of every service account. */
  liveKeys(): OpenAIFakeKey[] {
    return [...this.serviceAccounts.values()].flatMap((a) => [...a.keys.values()]);
  }

  /** @internal */
  createAccount(
    name: string,
    only: boolean,
  ): { sa: OpenAIFakeServiceAccount; key?: OpenAIFakeKey } {
    this.minted += 1;
    const sa = this.#newAccount(name, only ? 'none' : 'member');
    if (only || this.maxKeyLifetimeSeconds !== undefined) return { sa };
    return { sa, key: this.mintKey(sa, name, undefined) };
  }

  /** @internal */
  mintKey(
    sa: OpenAIFakeServiceAccount,
    name: string,
    expiresIn: number | undefined,
  ): OpenAIFakeKey {
    const k = this.#newKey(sa, name, expiresIn);
    if (this.propagationRejections > 0) this.#notYet.set(k.value, this.propagationRejections);
    return k;
  }

  /** @internal */
  deleteAccount(id: string): boolean {
    const sa = this.serviceAccounts.get(id);
    if (!sa) return false;
    for (const k of sa.keys.values()) this.registry.revokeById(k.id);
    this.serviceAccounts.delete(id);
    this.deleted.push(id);
    return true;
  }

  /** @internal */
  takeFault(route: OpenAIAdminRoute): number | undefined {
    return this.#faults.take(route);
  }

  /** @internal True if `key` may call the inference API now. */
  accepts(key: string): boolean {
    if (!this.registry.isValid(key)) return false;
    const expired = this.liveKeys().find((k) => k.value === key)?.expiresAt;
    if (expired !== undefined && expired * 1000 <= Date.now()) return false;
    const left = this.#notYet.get(key);
    if (left !== undefined && left > 0) {
      this.#notYet.set(key, left - 1);
      return false;
    }
    return true;
  }

  #newAccount(name: string, role: 'member' | 'none'): OpenAIFakeServiceAccount {
    const sa: OpenAIFakeServiceAccount = {
      id: `svc_acct_${randomBytes(8).toString('hex')}`,
      name,
      createdAt: Math.floor(Date.now() / 1000),
      role,
      keys: new Map(),
    };
    this.serviceAccounts.set(sa.id, sa);
    return sa;
  }

  #newKey(
    sa: OpenAIFakeServiceAccount,
    name: string,
    expiresIn: number | undefined,
  ): OpenAIFakeKey {
    const createdAt = Math.floor(Date.now() / 1000);
    const k: OpenAIFakeKey = {
      id: `key_${randomBytes(8).toString('hex')}`,
      name,
      value: `sk-svcacct-${randomBytes(24).toString('base64url')}`,
      createdAt,
      expiresAt: expiresIn === undefined ? undefined : createdAt + expiresIn,
    };
    sa.keys.set(k.id, k);
    this.registry.add(k.value, { provider: 'openai', name, serviceAccount: sa.id }, k.id);
    return k;
  }
}

/** A `node:http` handler for the fake; returns true when it answered the request. */
export function createOpenAIAdminHandler(
  state: OpenAIAdminState,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const project = path.match(/^\/v1\/organization\/projects\/([^/]+)\/(.*)$/);
    if (req.method === 'GET' && path === '/v1/models') {
      models(state, req, res);
      return true;
    }
    if (!project) return false;
    const [, projectId, rest = ''] = project;
    readJson(req, (body) => {
      if (bearer(req) !== state.adminKey) {
        return reply(res, 401, {
          error: {
            message: 'Invalid authorization header. Admin API keys are required.',
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_api_key',
          },
        });
      }
      if (decodeURIComponent(projectId ?? '') !== state.projectId) {
        return fail(res, 404, 'invalid_request_error', `No such project: ${projectId}`);
      }
      const b = (body ?? {}) as Record<string, unknown>;
      const account = rest.match(/^service_accounts\/([^/]+)$/);
      const accountKeys = rest.match(/^service_accounts\/([^/]+)\/api_keys$/);
      const key = rest.match(/^api_keys\/([^/]+)$/);
      if (rest === 'service_accounts' && req.method === 'POST') return createAccount(state, b, res);
      if (rest === 'service_accounts' && req.method === 'GET') return listAccounts(state, url, res);
      if (account && (req.method === 'GET' || req.method === 'DELETE')) {
        return oneAccount(state, req.method, decodeURIComponent(account[1] ?? ''), res);
      }
      if (accountKeys && req.method === 'POST') {
        return createKey(state, decodeURIComponent(accountKeys[1] ?? ''), b, res);
      }
      if (rest === 'api_keys' && req.method === 'GET') return listKeys(state, url, res);
      if (key && req.method === 'DELETE') {
        return deleteKey(state, decodeURIComponent(key[1] ?? ''), res);
      }
      return fail(res, 404, 'invalid_request_error', `Invalid URL (${req.method} ${path})`);
    });
    return true;
  };
}

function models(state: OpenAIAdminState, req: IncomingMessage, res: ServerResponse) {
  const fault = state.takeFault('models');
  if (fault) return fail(res, fault, 'server_error', 'injected failure');
  const key = bearer(req);
  if (!key || !state.accepts(key)) {
    return reply(res, 401, {
      error: {
        message: `Incorrect API key provided: ${hint(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
  }
  reply(res, 200, {
    object: 'list',
    data: [{ id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' }],
  });
}

function createAccount(state: OpenAIAdminState, b: Record<string, unknown>, res: ServerResponse) {
  const fault = state.takeFault('create');
  if (fault) return fail(res, fault, 'server_error', 'injected failure');
  if (typeof b.name !== 'string' || b.name === '' || b.name.length > 256) {
    return fail(res, 400, 'invalid_request_error', 'name must be a string of 1 to 256 characters');
  }
  const { sa, key } = state.createAccount(b.name, b.create_service_account_only === true);
  reply(res, 200, {
    object: 'organization.project.service_account',
    id: sa.id,
    name: sa.name,
    role: sa.role,
    created_at: sa.createdAt,
    api_key: key
      ? {
          object: 'organization.project.service_account.api_key',
          id: key.id,
          name: key.name,
          created_at: key.createdAt,
          value: key.value,
        }
      : null,
  });
}

function listAccounts(state: OpenAIAdminState, url: URL, res: ServerResponse) {
  const fault = state.takeFault('list');
  if (fault) return fail(res, fault, 'server_error', 'injected failure');
  const page = paginate([...state.serviceAccounts.values()], url);
  reply(res, 200, {
    object: 'list',
    data: page.items.map(accountJson),
    first_id: page.items[0]?.id ?? null,
    last_id: page.items.at(-1)?.id ?? null,
    has_more: page.hasMore,
  });
}

function oneAccount(
  state: OpenAIAdminState,
  method: 'GET' | 'DELETE',
  id: string,
  res: ServerResponse,
) {
  const fault = state.takeFault(method === 'GET' ? 'get' : 'delete');
  if (fault) return fail(res, fault, 'server_error', 'injected failure');
  const sa = state.serviceAccounts.get(id);
  if (!sa) return fail(res, 404, 'invalid_request_error', `No such service account: ${id}`);
  if (method === 'GET') return reply(res, 200, accountJson(sa));
  state.deleteAccount(id);
  reply(res, 200, { object: 'organization.project.service_account.deleted', id, deleted: true });
}

function createKey(
  state: OpenAIAdminState,
  accountId: string,
  b: Record<string, unknown>,
  res: ServerResponse,
) {
  const fault = state.takeFault('create-key');
  if (fault) return fail(res, fault, 'server_error', 'injected failure');
  const sa = state.serviceAccounts.get(accountId);
  if (!sa) return fail(res, 404, 'invalid_request_error', `No such service account: ${accountId}`);
  const expires = b.expires_in_seconds;
  if (
    expires !== undefined &&
    (typeof expires !== 'number' || !Number.isInteger(expires) || expires < 1)
  ) {
    return fail(res, 400, 'invalid_request_error', 'expires_in_seconds must be a positive integer');
  }
  const max = state.maxKeyLifetimeSeconds;
  if (max !== undefined && (expires === undefined || (expires as number) > max)) {
    return fail(
      res,
      400,
      'invalid_request_error',
      `A key lifetime policy applies: expires_in_seconds must be at most ${max}`,
    );
  }
  const name = typeof b.name === 'string' ? b.name : 'Secret key';
  const k = state.mintKey(sa, name, expires as number | undefined);
  reply(res, 200, {
    object: 'organization.project.service_account.api_key',
    id: k.id,
    name: k.name,
    created_at: k.createdAt,
    value: k.value,
  });
}

function listKeys(state: OpenAIAdminState, url: URL, res: ServerResponse) {
  const fault = state.takeFault('list-keys');
  if (fault) return fail(res, fault, 'server_error', 'injected failure');
  // "If omitted, the endpoint applies its existing membership-based visibility rules, which
  // may exclude some enabled keys": here, service-account keys.
  const access = url.searchParams.get('owner_project_access');
  const visible = access === 'any' || access === 'active';
  const all = visible
    ? [...state.serviceAccounts.values()].flatMap((sa) =>
        [...sa.keys.values()].map((k) => ({ sa, k })),
      )
    : [];
  const page = paginate(
    all.map((x) => ({ id: x.k.id, ...x })),
    url,
  );
  reply(res, 200, {
    object: 'list',
    data: page.items.map(({ sa, k }) => keyJson(sa, k)),
    first_id: page.items[0]?.id ?? null,
    last_id: page.items.at(-1)?.id ?? null,
    has_more: page.hasMore,
  });
}

function deleteKey(state: OpenAIAdminState, id: string, res: ServerResponse) {
  const fault = state.takeFault('delete-key');
  if (fault) return fail(res, fault, 'server_error', 'injected failure');
  const owner = [...state.serviceAccounts.values()].find((sa) => sa.keys.has(id));
  if (!owner) return fail(res, 404, 'invalid_request_error', `No such API key: ${id}`);
  if (!state.perKeyDeleteWorks) {
    return fail(
      res,
      400,
      'invalid_request_error',
      'API keys belonging to a service account cannot be deleted this way; delete the service account instead',
    );
  }
  owner.keys.delete(id);
  state.registry.revokeById(id);
  reply(res, 200, { object: 'organization.project.api_key.deleted', id, deleted: true });
}

function paginate<T extends { id: string }>(all: T[], url: URL): { items: T[]; hasMore: boolean } {
  const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? '20') || 20, 1), 100);
  const after = url.searchParams.get('after');
  const start = after ? all.findIndex((x) => x.id === after) + 1 : 0;
  return { items: all.slice(start, start + limit), hasMore: start + limit < all.length };
}

function accountJson(sa: OpenAIFakeServiceAccount): Record<string, unknown> {
  return {
    object: 'organization.project.service_account',
    id: sa.id,
    name: sa.name,
    role: sa.role,
    created_at: sa.createdAt,
  };
}

function keyJson(sa: OpenAIFakeServiceAccount, k: OpenAIFakeKey): Record<string, unknown> {
  return {
    object: 'organization.project.api_key',
    id: k.id,
    name: k.name,
    redacted_value: `sk-svcacct-...${k.value.slice(-4)}`,
    created_at: k.createdAt,
    last_used_at: null,
    owner_project_access: 'active',
    owner: { type: 'service_account', service_account: accountJson(sa) },
  };
}

function hint(key: string | undefined): string {
  if (!key) return '<none>';
  return `${key.slice(0, 3)}*********${key.slice(-4)}`;
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return typeof h === 'string' && h.startsWith('Bearer ') ? h.slice(7) : undefined;
}

function fail(res: ServerResponse, status: number, type: string, message: string): void {
  reply(res, status, { error: { message, type, param: null, code: null } });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body, { 'openai-version': '2020-10-01' });
}

/** A running fake. */
export interface OpenAIAdminServer {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  readonly url: string;
  readonly state: OpenAIAdminState;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 on a free port. */
export async function startOpenAIAdminServer(
  options: OpenAIAdminOptions = {},
): Promise<OpenAIAdminServer> {
  const state = new OpenAIAdminState(options);
  const handle = createOpenAIAdminHandler(state);
  const server = await listenLocal((req, res) => {
    if (!handle(req, res)) fail(res, 404, 'invalid_request_error', 'Invalid URL');
  });
  return { url: `${server.origin}/v1`, state, close: server.close };
}
