/**
 * A fake Anthropic Admin API (API-key status only: the real API cannot create keys) plus
 * `GET /v1/models`, speaking Anthropic's real paths, headers and JSON, errors included
 * (`{"type":"error","error":{"type":…,"message":…}}`). A key is accepted as `x-api-key` (the
 * documented curl form) or as `Authorization: Bearer` (what the official `@anthropic-ai/sdk`
 * 1.15.0 sends for an API key, with `anthropic-version: 2026-10-21`).
 *
 *  GET  /v1/organizations/api_keys[?status&limit&after_id]
 *  GET  /v1/organizations/api_keys/{id}
 *  POST /v1/organizations/api_keys/{id}   {name?, status?: active|inactive|archived}
 *  GET  /v1/models?limit=…                 with a (non-admin) key
 * Keys are "created in the Console" with {@link AnthropicAdminState.provisionKey}; status changes
 * are mirrored into a {@link KeyRegistry}.
 *
 * Follows: the Admin API reference (docs.anthropic.com/en/api/admin-api/apikeys, read
 * 2026-12-01), `@anthropic-ai/sdk` 1.15.0 (`resources/organization/api-keys.ts`, `client.ts`
 * auth headers, read 2026-12-02) and anthropic-sdk-php (`APIKey.php`, `Status.php`, 2026-11)
 * for the key states.
 * Behaviours encoded: no create or delete endpoint; a key can be `expired` (the Console sets
 * `expires_at`; past it the key reads `expired` and is refused), `inactive` or `archived`;
 * archived keys cannot be modified; `anthropic-version` is required.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KeyRegistry } from './key-registry.ts';
import { listenLocal, readJson, sendJson } from './local-server.ts';
import { RouteFaults } from './route-faults.ts';

/** Routes that can be made to fail. */
export type AnthropicRoute = 'list' | 'get' | 'update' | 'models';

/** Key statuses. */
export type AnthropicKeyStatus = 'active' | 'inactive' | 'archived' | 'expired';

/** A key the fake knows. */
export interface AnthropicFakeKey {
  readonly id: string;
  name: string;
  readonly value: string;
  status: AnthropicKeyStatus;
  readonly createdAt: string;
  /** ISO time the Console set as its expiry, if any. */
  readonly expiresAt: string | undefined;
}

/** Options of the fake. */
export interface AnthropicAdminOptions {
  readonly registry?: KeyRegistry;
  /** @default 'sk-ant-admin01-…' (random) */
  readonly adminKey?: string;
}

/** The fake's state. */
export class AnthropicAdminState {
  readonly registry: KeyRegistry;
  readonly adminKey: string;
  readonly keys = new Map<string, AnthropicFakeKey>();
  /** Status updates received, in order. */
  readonly updates: { id: string; status: string }[] = [];
  readonly #faults = new RouteFaults<AnthropicRoute>();

  constructor(options: AnthropicAdminOptions = {}) {
    this.registry = options.registry ?? new KeyRegistry();
    this.adminKey = options.adminKey ?? `sk-ant-admin01-${randomBytes(24).toString('base64url')}`;
  }

  /** A key created in the Console (the only way to create Anthropic keys). */
  provisionKey(
    name = 'pool',
    status: AnthropicKeyStatus = 'active',
    expiresAt?: string,
  ): AnthropicFakeKey {
    const id = `apikey_01${randomBytes(10).toString('hex')}`;
    const k: AnthropicFakeKey = {
      id,
      name,
      value: `sk-ant-api03-${randomBytes(32).toString('base64url')}AA`,
      status,
      createdAt: new Date().toISOString(),
      expiresAt,
    };
    this.keys.set(id, k);
    this.registry.add(k.value, { provider: 'anthropic', name }, id);
    if (status !== 'active') this.registry.revokeById(id);
    return k;
  }

  /** Makes the next `times` calls to `route` answer `status`. */
  failNext(route: AnthropicRoute, status: number, times = 1): void {
    this.#faults.failNext(route, status, times);
  }

  /** @internal */
  takeFault(route: AnthropicRoute): number | undefined {
    return this.#faults.take(route);
  }

  /** @internal */
  setStatus(k: AnthropicFakeKey, status: AnthropicKeyStatus): void {
    k.status = status;
    this.updates.push({ id: k.id, status });
    if (status === 'active')
      this.registry.add(k.value, { provider: 'anthropic', name: k.name }, k.id);
    else this.registry.revokeById(k.id);
  }
}

const STATUSES: readonly AnthropicKeyStatus[] = ['active', 'inactive', 'archived'];

/** A `node:http` handler for the fake; returns true when it answered the request. */
export function createAnthropicAdminHandler(
  state: AnthropicAdminState,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const isModels = req.method === 'GET' && path === '/v1/models';
    const admin = path.match(/^\/v1\/organizations\/api_keys(?:\/([^/]+))?$/);
    if (!isModels && !admin) return false;
    readJson(req, (body) => {
      if (!header(req, 'anthropic-version')) {
        return error(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
      }
      const key = header(req, 'x-api-key') ?? bearer(req);
      if (isModels) {
        const fault = state.takeFault('models');
        if (fault) return error(res, fault, 'api_error', 'Internal server error');
        const k = [...state.keys.values()].find((x) => x.value === key);
        if (!key || !k || statusOf(k) !== 'active' || !state.registry.isValid(key)) {
          return error(res, 401, 'authentication_error', 'invalid x-api-key');
        }
        return reply(res, 200, {
          data: [
            {
              type: 'model',
              id: 'claude-sonnet-4-5',
              display_name: 'Claude Sonnet 4.5',
              created_at: '2025-09-29T00:00:00Z',
            },
          ],
          has_more: false,
          first_id: 'claude-sonnet-4-5',
          last_id: 'claude-sonnet-4-5',
        });
      }
      if (key !== state.adminKey) {
        return error(res, 401, 'authentication_error', 'invalid x-api-key');
      }
      const id = admin?.[1] === undefined ? undefined : decodeURIComponent(admin[1]);
      if (id === undefined) {
        if (req.method !== 'GET')
          return error(res, 405, 'invalid_request_error', 'Method not allowed');
        const fault = state.takeFault('list');
        if (fault) return error(res, fault, 'api_error', 'Internal server error');
        const status = url.searchParams.get('status');
        const limit = Math.min(
          Math.max(Number(url.searchParams.get('limit') ?? '20') || 20, 1),
          1000,
        );
        const all = [...state.keys.values()].filter((k) => !status || statusOf(k) === status);
        const afterId = url.searchParams.get('after_id');
        const start = afterId ? all.findIndex((k) => k.id === afterId) + 1 : 0;
        const page = all.slice(start, start + limit);
        return reply(res, 200, {
          data: page.map(resource),
          has_more: start + limit < all.length,
          first_id: page[0]?.id ?? null,
          last_id: page.at(-1)?.id ?? null,
        });
      }
      const k = state.keys.get(id);
      if (req.method === 'GET') {
        const fault = state.takeFault('get');
        if (fault) return error(res, fault, 'api_error', 'Internal server error');
        if (!k) return error(res, 404, 'not_found_error', `API key ${id} not found`);
        return reply(res, 200, resource(k));
      }
      if (req.method === 'POST') {
        const fault = state.takeFault('update');
        if (fault) return error(res, fault, 'api_error', 'Internal server error');
        if (!k) return error(res, 404, 'not_found_error', `API key ${id} not found`);
        const b = (body ?? {}) as { name?: unknown; status?: unknown };
        if (b.status !== undefined && !(STATUSES as readonly unknown[]).includes(b.status)) {
          return error(
            res,
            400,
            'invalid_request_error',
            "status: Input should be 'active', 'inactive' or 'archived'",
          );
        }
        if (
          b.name !== undefined &&
          (typeof b.name !== 'string' || b.name.length < 1 || b.name.length > 500)
        ) {
          return error(
            res,
            400,
            'invalid_request_error',
            'name: String should have between 1 and 500 characters',
          );
        }
        if (statusOf(k) === 'expired') {
          return error(res, 400, 'invalid_request_error', 'Expired API keys cannot be modified');
        }
        if (k.status === 'archived') {
          return error(res, 400, 'invalid_request_error', 'Archived API keys cannot be modified');
        }
        if (typeof b.name === 'string') k.name = b.name;
        if (typeof b.status === 'string') state.setStatus(k, b.status as AnthropicKeyStatus);
        return reply(res, 200, resource(k));
      }
      return error(res, 405, 'invalid_request_error', 'Method not allowed');
    });
    return true;
  };
}

/** The status the API reports: an active key past its expiry reads `expired`. */
function statusOf(k: AnthropicFakeKey): AnthropicKeyStatus {
  if (k.status === 'active' && k.expiresAt !== undefined && Date.parse(k.expiresAt) <= Date.now()) {
    return 'expired';
  }
  return k.status;
}

function resource(k: AnthropicFakeKey): Record<string, unknown> {
  return {
    type: 'api_key',
    id: k.id,
    name: k.name,
    status: statusOf(k),
    created_at: k.createdAt,
    created_by: { id: 'user_01fake', type: 'user' },
    expires_at: k.expiresAt ?? null,
    partial_key_hint: `${k.value.slice(0, 16)}...${k.value.slice(-4)}`,
    workspace_id: null,
  };
}

/** The token of an `Authorization: Bearer …` header. */
function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header(req, 'authorization') ?? '');
  return m?.[1];
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function error(res: ServerResponse, status: number, type: string, message: string): void {
  reply(res, status, { type: 'error', error: { type, message } });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body, { 'request-id': `req_${randomBytes(8).toString('hex')}` });
}

/** A running fake. */
export interface AnthropicAdminServer {
  /** Origin, e.g. `http://127.0.0.1:41234` (both the admin and the inference base URL). */
  readonly url: string;
  readonly state: AnthropicAdminState;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 on a free port. */
export async function startAnthropicAdminServer(
  options: AnthropicAdminOptions = {},
): Promise<AnthropicAdminServer> {
  const state = new AnthropicAdminState(options);
  const handle = createAnthropicAdminHandler(state);
  const server = await listenLocal((req, res) => {
    if (!handle(req, res)) error(res, 404, 'not_found_error', 'Not found');
  });
  return { url: server.origin, state, close: server.close };
}
