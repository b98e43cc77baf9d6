/**
 * A fake OpenAI Administration API (project service-account keys) plus `GET /v1/models`,
 * speaking OpenAI's real paths, headers and JSON, errors included. Minted keys are added to a
 * {@link KeyRegistry}; deleted keys are revoked there, so a fake inference API can accept only
 * live keys.
 *
 * Paths (base `…/v1`):
 *  POST   /organization/projects/{project}/service_accounts/{sa}/api_keys   {name} → key with `value`
 *  GET    /organization/projects/{project}/api_keys?limit&after             → list (no values)
 *  GET    /organization/projects/{project}/api_keys/{id}
 *  DELETE /organization/projects/{project}/api_keys/{id}                    → {deleted: true}
 *  GET    /models                                                           (with a project key)
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KeyRegistry } from './key-registry.ts';
import { listenLocal, readJson, sendJson } from './local-server.ts';
import { RouteFaults } from './route-faults.ts';

/** Routes that can be made to fail. */
export type OpenAIAdminRoute = 'create' | 'list' | 'get' | 'delete' | 'models';

/** A key the fake knows. */
export interface OpenAIFakeKey {
  readonly id: string;
  readonly name: string;
  readonly value: string;
  readonly createdAt: number;
  readonly serviceAccountId: string;
}

/** Options of the fake. */
export interface OpenAIAdminOptions {
  readonly registry?: KeyRegistry;
  /** @default 'sk-admin-fake-…' (random) */
  readonly adminKey?: string;
  /** @default 'proj_fake' */
  readonly projectId?: string;
  /** @default 'svc_acct_fake' */
  readonly serviceAccountId?: string;
}

/** The fake's state, for tests to arrange and assert. */
export class OpenAIAdminState {
  readonly registry: KeyRegistry;
  readonly adminKey: string;
  readonly projectId: string;
  readonly serviceAccountId: string;
  /** Live keys by id (deleted keys are removed). */
  readonly keys = new Map<string, OpenAIFakeKey>();
  /** Ids of deleted keys, in order. */
  readonly deleted: string[] = [];
  /** Number of keys minted through the API. */
  minted = 0;
  /** A newly minted key is refused by /models this many times (propagation delay). */
  propagationRejections = 0;
  readonly #notYet = new Map<string, number>();
  readonly #faults = new RouteFaults<OpenAIAdminRoute>();

  constructor(options: OpenAIAdminOptions = {}) {
    this.registry = options.registry ?? new KeyRegistry();
    this.adminKey = options.adminKey ?? `sk-admin-fake-${randomBytes(16).toString('hex')}`;
    this.projectId = options.projectId ?? 'proj_fake';
    this.serviceAccountId = options.serviceAccountId ?? 'svc_acct_fake';
  }

  /** Makes the next `times` calls to `route` answer `status` with an OpenAI error body. */
  failNext(route: OpenAIAdminRoute, status: number, times = 1): void {
    this.#faults.failNext(route, status, times);
  }

  /** Creates a key as the Console would (not counted in {@link OpenAIAdminState.minted}). */
  seedKey(name = 'seed'): OpenAIFakeKey {
    return this.#newKey(name);
  }

  /** Keys whose names start with `prefix`. */
  keysNamed(prefix: string): OpenAIFakeKey[] {
    return [...this.keys.values()].filter((k) => k.name.startsWith(prefix));
  }

  /** @internal */
  mint(name: string): OpenAIFakeKey {
    this.minted += 1;
    const k = this.#newKey(name);
    if (this.propagationRejections > 0) this.#notYet.set(k.value, this.propagationRejections);
    return k;
  }

  /** @internal */
  takeFault(route: OpenAIAdminRoute): number | undefined {
    return this.#faults.take(route);
  }

  /** @internal True if `key` may call the inference API now. */
  accepts(key: string): boolean {
    if (!this.registry.isValid(key)) return false;
    const left = this.#notYet.get(key);
    if (left !== undefined && left > 0) {
      this.#notYet.set(key, left - 1);
      return false;
    }
    return true;
  }

  #newKey(name: string): OpenAIFakeKey {
    const id = `key_${randomBytes(8).toString('hex')}`;
    const value = `sk-svcacct-${randomBytes(24).toString('base64url')}`;
    const k: OpenAIFakeKey = {
      id,
      name,
      value,
      createdAt: Math.floor(Date.now() / 1000),
      serviceAccountId: this.serviceAccountId,
    };
    this.keys.set(id, k);
    this.registry.add(value, { provider: 'openai', name }, id);
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
      const fault = state.takeFault('models');
      if (fault) {
        fail(res, fault, 'server_error', 'injected failure');
        return true;
      }
      const key = bearer(req);
      if (!key || !state.accepts(key)) {
        reply(res, 401, {
          error: {
            message: `Incorrect API key provided: ${hint(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_api_key',
          },
        });
        return true;
      }
      reply(res, 200, {
        object: 'list',
        data: [{ id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' }],
      });
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
      const create = rest.match(/^service_accounts\/([^/]+)\/api_keys$/);
      const one = rest.match(/^api_keys\/([^/]+)$/);
      if (req.method === 'POST' && create) {
        const fault = state.takeFault('create');
        if (fault) return fail(res, fault, 'server_error', 'injected failure');
        if (decodeURIComponent(create[1] ?? '') !== state.serviceAccountId) {
          return fail(res, 404, 'invalid_request_error', 'No such service account');
        }
        const name = (body as { name?: unknown } | undefined)?.name;
        if (name !== undefined && (typeof name !== 'string' || name.length > 256)) {
          return fail(
            res,
            400,
            'invalid_request_error',
            'name must be a string of at most 256 characters',
          );
        }
        const k = state.mint(typeof name === 'string' ? name : 'Secret key');
        return reply(res, 200, {
          object: 'organization.project.service_account.api_key',
          id: k.id,
          name: k.name,
          created_at: k.createdAt,
          value: k.value,
        });
      }
      if (req.method === 'GET' && rest === 'api_keys') {
        const fault = state.takeFault('list');
        if (fault) return fail(res, fault, 'server_error', 'injected failure');
        const limit = Math.min(
          Math.max(Number(url.searchParams.get('limit') ?? '20') || 20, 1),
          100,
        );
        const all = [...state.keys.values()];
        const after = url.searchParams.get('after');
        const start = after ? all.findIndex((k) => k.id === after) + 1 : 0;
        const page = all.slice(start, start + limit);
        return reply(res, 200, {
          object: 'list',
          data: page.map(listed),
          first_id: page[0]?.id ?? null,
          last_id: page.at(-1)?.id ?? null,
          has_more: start + limit < all.length,
        });
      }
      if (one && (req.method === 'GET' || req.method === 'DELETE')) {
        const route: OpenAIAdminRoute = req.method === 'GET' ? 'get' : 'delete';
        const fault = state.takeFault(route);
        if (fault) return fail(res, fault, 'server_error', 'injected failure');
        const id = decodeURIComponent(one[1] ?? '');
        const k = state.keys.get(id);
        if (!k) return fail(res, 404, 'invalid_request_error', `No such API key: ${id}`);
        if (req.method === 'GET') return reply(res, 200, listed(k));
        state.keys.delete(id);
        state.deleted.push(id);
        state.registry.revokeById(id);
        return reply(res, 200, {
          object: 'organization.project.api_key.deleted',
          id,
          deleted: true,
        });
      }
      return fail(res, 404, 'invalid_request_error', `Invalid URL (${req.method} ${path})`);
    });
    return true;
  };
}

function listed(k: OpenAIFakeKey): Record<string, unknown> {
  return {
    object: 'organization.project.api_key',
    id: k.id,
    name: k.name,
    redacted_value: `sk-svcacct-...${k.value.slice(-4)}`,
    created_at: k.createdAt,
    last_used_at: null,
    owner: {
      type: 'service_account',
      service_account: {
        object: 'organization.project.service_account',
        id: k.serviceAccountId,
        name: 'secret-sidecar',
        role: 'member',
        created_at: k.createdAt,
      },
    },
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
