/**
 * A fake Google API Keys API v2, OAuth 2.0 token endpoint and Gemini `models` list, speaking
 * Google's real paths and JSON (long-running operations, `google.rpc.Status` errors).
 *
 * Follows: the API Keys API v2 reference (cloud.google.com/api-keys/docs/reference/rest, read
 * 2026-12-01), "Manage API keys" (cloud.google.com/docs/authentication/api-keys: binding a key
 * to a service account, the default org policy iam.managed.disableServiceAccountApiKeyCreation
 * that blocks it), and the Gemini API key page (ai.google.dev/gemini-api/docs/api-key: since
 * September 2026 requests with standard, unbound keys are rejected), all as of 2026-12-01.
 * Behaviours encoded:
 *  - Gemini refuses an unbound key (403 PERMISSION_DENIED; the exact reason string Google
 *    uses is not documented, `API_KEY_SERVICE_ACCOUNT_REQUIRED` here is ours);
 *  - creating a bound key fails as an operation error while the org policy applies
 *    (`state.bindingPolicyEnforced`, FAILED_PRECONDITION) or the caller lacks actAs on the
 *    bound account (`state.actAsDenied`, PERMISSION_DENIED);
 *  - any operation can be made to fail permanently (`failNextOperation`);
 *  - deletion is soft: `deleteTime` is set, the key is hidden from `list` unless `showDeleted`.
 * The token endpoint checks the RS256 assertion google-auth-library sends.
 *
 *  POST   /token                                           JWT-bearer grant (RS256, checked with the SA public key)
 *  POST   /v2/projects/{p}/locations/global/keys?keyId=…   → Operation (done after `operationPolls` GETs)
 *  GET    /v2/operations/{id}
 *  GET    /v2/projects/{p}/locations/global/keys[?pageSize&pageToken&showDeleted]
 *  GET    /v2/projects/{p}/locations/global/keys/{id}       (a soft-deleted key carries `deleteTime`)
 *  GET    /v2/projects/{p}/locations/global/keys/{id}/keyString
 *  DELETE /v2/projects/{p}/locations/global/keys/{id}       → Operation (soft delete)
 *  POST   /v2/projects/{p}/locations/global/keys/{id}:undelete
 *  GET    /v1beta/models?pageSize=…                         with `x-goog-api-key` or `?key=`
 * Keys are added to / revoked in a {@link KeyRegistry}.
 */
import {
  createPublicKey,
  createVerify,
  type KeyObject,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KeyRegistry } from './key-registry.ts';
import { listenLocal, readText, sendJson } from './local-server.ts';
import { RouteFaults } from './route-faults.ts';

/** Routes that can be made to fail. */
export type GoogleRoute = 'token' | 'create' | 'get' | 'keyString' | 'list' | 'delete' | 'models';

/** A key the fake knows. */
export interface GoogleFakeKey {
  readonly keyId: string;
  readonly uid: string;
  readonly keyString: string;
  readonly displayName: string;
  readonly restrictions: unknown;
  readonly annotations: Record<string, string>;
  /** The bound service account; undefined for a standard key. */
  readonly serviceAccountEmail: string | undefined;
  readonly createTime: string;
  deleteTime?: string;
}

/** Options of the fake. */
export interface GoogleApiKeysOptions {
  readonly registry?: KeyRegistry;
  /** @default 'fake-project' */
  readonly projectId?: string;
  /** @default '123456789012' */
  readonly projectNumber?: string;
  /** The service account allowed to get tokens: its email and public key (PEM or KeyObject). */
  readonly serviceAccount: { readonly clientEmail: string; readonly publicKey: string | KeyObject };
  /** Polls before a create operation is done. @default 1 */
  readonly operationPolls?: number;
}

interface Operation {
  readonly name: string;
  polls: number;
  readonly finish: () => unknown;
  response?: unknown;
  /** The operation ends with this status instead (nothing is created). */
  readonly error?: { code: number; status: string; message: string };
}

/** The fake's state. */
export class GoogleApiKeysState {
  readonly registry: KeyRegistry;
  readonly projectId: string;
  readonly projectNumber: string;
  readonly clientEmail: string;
  readonly publicKey: KeyObject;
  readonly operationPolls: number;
  /** Keys by key id, soft-deleted ones included. */
  readonly keys = new Map<string, GoogleFakeKey>();
  /** Number of keys created through the API. */
  created = 0;
  /** Access tokens issued. */
  readonly tokens = new Set<string>();
  readonly operations = new Map<string, Operation>();
  /** A new key is refused by Gemini this many times (propagation delay). */
  propagationRejections = 0;
  /** The default org policy that blocks binding keys to service accounts still applies. */
  bindingPolicyEnforced = false;
  /** The caller may not act as the bound service account. */
  actAsDenied = false;
  /** Gemini still accepts standard keys (before September 2026). */
  acceptsUnboundKeys = false;
  readonly #operationFailures: { code: number; status: string; message: string }[] = [];
  readonly #notYet = new Map<string, number>();
  readonly #faults = new RouteFaults<GoogleRoute>();

  constructor(options: GoogleApiKeysOptions) {
    this.registry = options.registry ?? new KeyRegistry();
    this.projectId = options.projectId ?? 'fake-project';
    this.projectNumber = options.projectNumber ?? '123456789012';
    this.clientEmail = options.serviceAccount.clientEmail;
    this.publicKey =
      typeof options.serviceAccount.publicKey === 'string'
        ? createPublicKey(options.serviceAccount.publicKey)
        : options.serviceAccount.publicKey;
    this.operationPolls = options.operationPolls ?? 1;
  }

  /** Makes the next `times` calls to `route` answer `status`. */
  failNext(route: GoogleRoute, status: number, times = 1): void {
    this.#faults.failNext(route, status, times);
  }

  /** Makes the next create operation finish with this `google.rpc.Status`. */
  failNextOperation(code: number, status: string, message: string): void {
    this.#operationFailures.push({ code, status, message });
  }

  /** @internal */
  takeOperationFailure(): { code: number; status: string; message: string } | undefined {
    return this.#operationFailures.shift();
  }

  /**
   * Creates a key as the Cloud Console would (not counted in {@link GoogleApiKeysState.created}),
   * bound to `serviceAccountEmail`; `null` makes a standard, unbound key.
   */
  seedKey(
    keyId = `seed-${randomBytes(4).toString('hex')}`,
    serviceAccountEmail: string | null = 'gemini-caller@fake-project.iam.gserviceaccount.com',
  ): GoogleFakeKey {
    return this.addKey(
      keyId,
      'seed',
      { apiTargets: [{ service: 'generativelanguage.googleapis.com' }] },
      {},
      serviceAccountEmail ?? undefined,
    );
  }

  /** Keys that are not deleted. */
  liveKeys(): GoogleFakeKey[] {
    return [...this.keys.values()].filter((k) => k.deleteTime === undefined);
  }

  /** @internal */
  addKey(
    keyId: string,
    displayName: string,
    restrictions: unknown,
    annotations: Record<string, string>,
    serviceAccountEmail: string | undefined,
  ): GoogleFakeKey {
    const k: GoogleFakeKey = {
      keyId,
      uid: randomUUID(),
      keyString: `AIza${randomBytes(26).toString('base64url').slice(0, 35)}`,
      displayName,
      restrictions,
      annotations,
      serviceAccountEmail,
      createTime: new Date().toISOString(),
    };
    this.keys.set(keyId, k);
    this.registry.add(k.keyString, { provider: 'google', keyId }, keyId);
    if (this.propagationRejections > 0) this.#notYet.set(k.keyString, this.propagationRejections);
    return k;
  }

  /** @internal */
  takeFault(route: GoogleRoute): number | undefined {
    return this.#faults.take(route);
  }

  /** @internal */
  accepts(key: string): 'ok' | 'invalid' | 'blocked' | 'unbound' {
    if (!this.registry.isValid(key)) return 'invalid';
    const left = this.#notYet.get(key);
    if (left !== undefined && left > 0) {
      this.#notYet.set(key, left - 1);
      return 'invalid';
    }
    const k = [...this.keys.values()].find((x) => x.keyString === key);
    const targets = (k?.restrictions as { apiTargets?: { service?: string }[] } | undefined)
      ?.apiTargets;
    if (targets && !targets.some((t) => t.service === 'generativelanguage.googleapis.com')) {
      return 'blocked';
    }
    if (k?.serviceAccountEmail === undefined && !this.acceptsUnboundKeys) return 'unbound';
    return 'ok';
  }

  /** @internal */
  keyResource(k: GoogleFakeKey): Record<string, unknown> {
    return {
      name: `projects/${this.projectNumber}/locations/global/keys/${k.keyId}`,
      uid: k.uid,
      displayName: k.displayName,
      createTime: k.createTime,
      updateTime: k.deleteTime ?? k.createTime,
      ...(k.deleteTime ? { deleteTime: k.deleteTime } : {}),
      restrictions: k.restrictions,
      annotations: k.annotations,
      ...(k.serviceAccountEmail ? { serviceAccountEmail: k.serviceAccountEmail } : {}),
      etag: `W/"${k.uid.slice(0, 8)}"`,
    };
  }
}

const KEY_TYPE = 'type.googleapis.com/google.api.apikeys.v2.Key';
const KEY_ID = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A `node:http` handler for the fake; returns true when it answered the request. */
export function createGoogleApiKeysHandler(
  state: GoogleApiKeysState,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    if (req.method === 'POST' && path === '/token') {
      readText(req, (text) => token(state, req, res, text));
      return true;
    }
    if (req.method === 'GET' && path === '/v1beta/models') {
      const fault = state.takeFault('models');
      if (fault) {
        rpcError(res, fault, 'UNAVAILABLE', 'injected failure');
        return true;
      }
      const key = header(req, 'x-goog-api-key') ?? url.searchParams.get('key') ?? '';
      const verdict = state.accepts(key);
      if (verdict === 'invalid') {
        reply(res, 400, {
          error: {
            code: 400,
            message: 'API key not valid. Please pass a valid API key.',
            status: 'INVALID_ARGUMENT',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                reason: 'API_KEY_INVALID',
                domain: 'googleapis.com',
                metadata: { service: 'generativelanguage.googleapis.com' },
              },
            ],
          },
        });
        return true;
      }
      if (verdict === 'blocked') {
        rpcError(res, 403, 'PERMISSION_DENIED', 'Requests to this API are blocked.');
        return true;
      }
      if (verdict === 'unbound') {
        reply(res, 403, {
          error: {
            code: 403,
            message:
              'Standard API keys are not accepted by the Gemini API. Use an API key bound to a service account.',
            status: 'PERMISSION_DENIED',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                reason: 'API_KEY_SERVICE_ACCOUNT_REQUIRED',
                domain: 'googleapis.com',
                metadata: { service: 'generativelanguage.googleapis.com' },
              },
            ],
          },
        });
        return true;
      }
      reply(res, 200, {
        models: [
          {
            name: 'models/gemini-2.5-flash',
            displayName: 'Gemini 2.5 Flash',
            supportedGenerationMethods: ['generateContent', 'countTokens'],
          },
        ],
        nextPageToken: 'fake-next',
      });
      return true;
    }
    if (!path.startsWith('/v2/')) return false;
    readText(req, (text) => v2(state, req, res, url, text));
    return true;
  };
}

function token(
  state: GoogleApiKeysState,
  req: IncomingMessage,
  res: ServerResponse,
  text: string,
): true {
  const fault = state.takeFault('token');
  if (fault)
    return reply(res, fault, {
      error: 'internal_failure',
      error_description: 'injected failure',
    });
  const form = new URLSearchParams(text);
  const grant = form.get('grant_type');
  const assertion = form.get('assertion') ?? '';
  if (
    grant !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' ||
    !header(req, 'content-type')?.includes('x-www-form-urlencoded')
  ) {
    return reply(res, 400, {
      error: 'unsupported_grant_type',
      error_description: 'Invalid grant_type',
    });
  }
  const [h, p, sig] = assertion.split('.');
  let claims: Record<string, unknown> = {};
  let ok = false;
  try {
    ok =
      h !== undefined &&
      p !== undefined &&
      sig !== undefined &&
      createVerify('RSA-SHA256')
        .update(`${h}.${p}`)
        .verify(state.publicKey, Buffer.from(sig, 'base64url'));
    claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    ok = false;
  }
  if (!ok)
    return reply(res, 400, {
      error: 'invalid_grant',
      error_description: 'Invalid JWT Signature.',
    });
  const now = Math.floor(Date.now() / 1000);
  if (
    claims.iss !== state.clientEmail ||
    typeof claims.exp !== 'number' ||
    claims.exp < now ||
    typeof claims.aud !== 'string' ||
    !claims.aud.endsWith('/token') ||
    typeof claims.scope !== 'string' ||
    !claims.scope.includes('https://www.googleapis.com/auth/cloud-platform')
  ) {
    return reply(res, 400, {
      error: 'invalid_grant',
      error_description: 'Invalid JWT: claims are not valid.',
    });
  }
  const access = `ya29.fake-${randomBytes(24).toString('base64url')}`;
  state.tokens.add(access);
  return reply(res, 200, { access_token: access, expires_in: 3599, token_type: 'Bearer' });
}

function v2(
  state: GoogleApiKeysState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  text: string,
): true {
  const auth = header(req, 'authorization');
  if (!auth?.startsWith('Bearer ') || !state.tokens.has(auth.slice(7))) {
    return rpcError(
      res,
      401,
      'UNAUTHENTICATED',
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    );
  }
  const path = url.pathname;
  const op = path.match(/^\/v2\/(operations\/[^/]+)$/);
  if (req.method === 'GET' && op) {
    const o = state.operations.get(op[1] ?? '');
    if (!o) return rpcError(res, 404, 'NOT_FOUND', 'Operation not found.');
    o.polls -= 1;
    if (o.polls <= 0 && o.response === undefined && o.error === undefined) o.response = o.finish();
    return reply(res, 200, operationBody(o));
  }
  const m = path.match(
    /^\/v2\/projects\/([^/]+)\/locations\/([^/]+)\/keys(?:\/([^/:]+))?(\/keyString|:undelete)?$/,
  );
  if (!m) return rpcError(res, 404, 'NOT_FOUND', `Method not found: ${req.method} ${path}`);
  const [, project, location, keyId, suffix] = m;
  if (project !== state.projectId && project !== state.projectNumber) {
    return rpcError(
      res,
      403,
      'PERMISSION_DENIED',
      `Permission denied on resource project ${project}.`,
    );
  }
  if (location !== 'global') {
    return rpcError(res, 400, 'INVALID_ARGUMENT', 'Location must be global.');
  }
  if (keyId === undefined) {
    if (req.method === 'POST') return createKey(state, res, url, text);
    if (req.method === 'GET') {
      const fault = state.takeFault('list');
      if (fault) return rpcError(res, fault, 'UNAVAILABLE', 'injected failure');
      const showDeleted = url.searchParams.get('showDeleted') === 'true';
      const all = [...state.keys.values()].filter((k) => showDeleted || k.deleteTime === undefined);
      const size = Math.min(
        Math.max(Number(url.searchParams.get('pageSize') ?? '300') || 300, 1),
        300,
      );
      const start = Number(url.searchParams.get('pageToken') ?? '0') || 0;
      const page = all.slice(start, start + size);
      return reply(res, 200, {
        keys: page.map((k) => state.keyResource(k)),
        ...(start + size < all.length ? { nextPageToken: String(start + size) } : {}),
      });
    }
    return rpcError(res, 405, 'INVALID_ARGUMENT', 'Method not allowed.');
  }
  const k = state.keys.get(keyId);
  if (suffix === '/keyString' && req.method === 'GET') {
    const fault = state.takeFault('keyString');
    if (fault) return rpcError(res, fault, 'UNAVAILABLE', 'injected failure');
    if (!k || k.deleteTime) return rpcError(res, 404, 'NOT_FOUND', `Key ${keyId} not found.`);
    return reply(res, 200, { keyString: k.keyString });
  }
  if (suffix === ':undelete' && req.method === 'POST') {
    if (!k?.deleteTime) return rpcError(res, 400, 'FAILED_PRECONDITION', 'The key is not deleted.');
    k.deleteTime = undefined;
    state.registry.add(k.keyString, { provider: 'google', keyId }, keyId);
    return reply(res, 200, doneOperation(state, { '@type': KEY_TYPE, ...state.keyResource(k) }));
  }
  if (suffix !== undefined) return rpcError(res, 404, 'NOT_FOUND', 'Method not found.');
  if (req.method === 'GET') {
    const fault = state.takeFault('get');
    if (fault) return rpcError(res, fault, 'UNAVAILABLE', 'injected failure');
    if (!k) return rpcError(res, 404, 'NOT_FOUND', `Key ${keyId} not found.`);
    return reply(res, 200, state.keyResource(k));
  }
  if (req.method === 'DELETE') {
    const fault = state.takeFault('delete');
    if (fault) return rpcError(res, fault, 'UNAVAILABLE', 'injected failure');
    if (!k) return rpcError(res, 404, 'NOT_FOUND', `Key ${keyId} not found.`);
    if (k.deleteTime)
      return rpcError(res, 400, 'FAILED_PRECONDITION', 'The key is already deleted.');
    k.deleteTime = new Date().toISOString();
    state.registry.revokeById(keyId);
    return reply(res, 200, doneOperation(state, { '@type': KEY_TYPE, ...state.keyResource(k) }));
  }
  return rpcError(res, 405, 'INVALID_ARGUMENT', 'Method not allowed.');
}

function createKey(state: GoogleApiKeysState, res: ServerResponse, url: URL, text: string): true {
  const fault = state.takeFault('create');
  if (fault) return rpcError(res, fault, 'UNAVAILABLE', 'injected failure');
  const keyId = url.searchParams.get('keyId') ?? `k${randomBytes(8).toString('hex')}`;
  if (!KEY_ID.test(keyId)) {
    return rpcError(
      res,
      400,
      'INVALID_ARGUMENT',
      `Invalid key id "${keyId}": must match [a-z]([a-z0-9-]{0,61}[a-z0-9])?`,
    );
  }
  if (state.keys.has(keyId))
    return rpcError(res, 409, 'ALREADY_EXISTS', `Key ${keyId} already exists.`);
  let body: Record<string, unknown> = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    return rpcError(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
  }
  const displayName = typeof body.displayName === 'string' ? body.displayName : '';
  if (displayName.length > 63) {
    return rpcError(res, 400, 'INVALID_ARGUMENT', 'displayName must be at most 63 characters.');
  }
  const annotations = (body.annotations ?? {}) as Record<string, string>;
  const bound = typeof body.serviceAccountEmail === 'string' ? body.serviceAccountEmail : undefined;
  const name = `operations/akmf.p7-${randomBytes(10).toString('hex')}`;
  const failure =
    state.takeOperationFailure() ??
    (bound !== undefined && state.bindingPolicyEnforced
      ? {
          code: 9,
          status: 'FAILED_PRECONDITION',
          message: `Constraint constraints/iam.managed.disableServiceAccountApiKeyCreation violated for project ${state.projectNumber}.`,
        }
      : bound !== undefined && state.actAsDenied
        ? {
            code: 7,
            status: 'PERMISSION_DENIED',
            message: `Permission 'iam.serviceAccounts.actAs' denied on service account ${bound}.`,
          }
        : undefined);
  const o: Operation = {
    name,
    polls: state.operationPolls,
    ...(failure ? { error: failure } : {}),
    finish: () => {
      state.created += 1;
      const k = state.addKey(keyId, displayName, body.restrictions ?? {}, annotations, bound);
      return { '@type': KEY_TYPE, ...state.keyResource(k) };
    },
  };
  state.operations.set(name, o);
  return reply(res, 200, operationBody(o));
}

function doneOperation(state: GoogleApiKeysState, response: unknown): Record<string, unknown> {
  const o: Operation = {
    name: `operations/akmf.p7-${randomBytes(10).toString('hex')}`,
    polls: 0,
    finish: () => response,
    response,
  };
  state.operations.set(o.name, o);
  return operationBody(o);
}

function operationBody(o: Operation): Record<string, unknown> {
  if (o.error !== undefined && o.polls <= 0) {
    return { name: o.name, done: true, error: { code: o.error.code, message: o.error.message } };
  }
  return o.response === undefined
    ? { name: o.name, metadata: { '@type': 'type.googleapis.com/google.api.apikeys.v2.Operation' } }
    : { name: o.name, done: true, response: o.response };
}

function rpcError(res: ServerResponse, code: number, status: string, message: string): true {
  return reply(res, code, { error: { code, message, status } });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function reply(res: ServerResponse, status: number, body: unknown): true {
  return sendJson(res, status, body, { 'content-type': 'application/json; charset=UTF-8' });
}

/** A running fake. */
export interface GoogleApiKeysServer {
  /** Origin, e.g. `http://127.0.0.1:41234`: admin base URL; token URL is `${url}/token`; Gemini base `${url}/v1beta`. */
  readonly url: string;
  readonly state: GoogleApiKeysState;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 on a free port. */
export async function startGoogleApiKeysServer(
  options: GoogleApiKeysOptions,
): Promise<GoogleApiKeysServer> {
  const state = new GoogleApiKeysState(options);
  const handle = createGoogleApiKeysHandler(state);
  const server = await listenLocal((req, res) => {
    if (!handle(req, res)) rpcError(res, 404, 'NOT_FOUND', 'Not found.');
  });
  return { url: server.origin, state, close: server.close };
}
