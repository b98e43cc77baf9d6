/**
 * Sends authenticated requests to the inference function running in the sandbox and
 * records, for each, the outcome, the secret lookup latency and the provider key that served it.
 */

import type { LambdaSandbox } from '../sandbox/index.ts';
import type { FakeOpenAI } from './fake-openai.ts';

/** JWT claims as API Gateway's JWT authorizer passes them on. */
const CLAIMS = { sub: 'demo-client', client_id: 'demo-client', scope: 'secret-sidecar/invoke' };

/** One request's outcome. */
export interface RequestOutcome {
  readonly phase: string;
  readonly ok: boolean;
  readonly statusCode: number;
  readonly secretLookupMs?: number;
  /**
   * The provider's id of the key that answered, as the rotated secret stores it: for OpenAI
   * the service account that owns the key (from the fake provider's log and registry).
   */
  readonly keyId?: string;
  readonly error?: string;
}

/** An API Gateway HTTP API (payload v2) event with JWT claims, or none. */
export function apiEvent(prompt: string, authenticated = true): Record<string, unknown> {
  return {
    version: '2.0',
    routeKey: 'POST /v1/chat',
    rawPath: '/v1/chat',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: prompt }] }),
    isBase64Encoded: false,
    requestContext: {
      requestId: `demo-${Math.random().toString(36).slice(2, 10)}`,
      http: { method: 'POST', path: '/v1/chat' },
      authorizer: authenticated ? { jwt: { claims: CLAIMS, scopes: null } } : undefined,
    },
  };
}

/** The `keyId` a secret stores for the registry key `id`: its service account, when it has one. */
function storedKeyId(provider: FakeOpenAI, id: string): string {
  const owner = provider.registry.byId(id)?.meta.serviceAccount;
  return typeof owner === 'string' ? owner : id;
}

/** Sends one request and works out which key served it. */
export async function sendRequest(
  sandbox: LambdaSandbox,
  provider: FakeOpenAI,
  phase: string,
  prompt: string,
  authenticated = true,
): Promise<RequestOutcome> {
  const before = provider.requests.length;
  const r = await sandbox.invoke(apiEvent(prompt, authenticated), { timeoutMs: 10_000 });
  if (r.status !== 'ok') {
    return { phase, ok: false, statusCode: 0, error: `${r.status}: ${r.error?.errorType}` };
  }
  const res = r.payload as { statusCode?: number; body?: string };
  const statusCode = res.statusCode ?? 0;
  let body: { latency?: { secretLookupMs?: number }; error?: { code?: string } } = {};
  try {
    body = JSON.parse(res.body ?? '{}');
  } catch {
    // A non-JSON body is reported as a failure below.
  }
  const served = provider.requests
    .slice(before)
    .filter((q) => q.status === 200)
    .at(-1);
  return {
    phase,
    ok: statusCode === 200,
    statusCode,
    secretLookupMs: body.latency?.secretLookupMs,
    keyId: served === undefined ? undefined : storedKeyId(provider, served.keyId),
    error: statusCode === 200 ? undefined : (body.error?.code ?? `HTTP ${statusCode}`),
  };
}

/**
 * Sends requests in `phase` with `gapMs` of frozen idle time between them until
 * `until()` says stop (checked after each request) or `max` requests were sent.
 */
export async function sendWhile(
  sandbox: LambdaSandbox,
  provider: FakeOpenAI,
  phase: string,
  opts: { gapMs: number; max: number; until: (last: RequestOutcome) => boolean },
  out: RequestOutcome[],
): Promise<void> {
  for (let i = 0; i < opts.max; i++) {
    const r = await sendRequest(sandbox, provider, phase, `${phase} #${i + 1}`);
    out.push(r);
    if (opts.until(r)) return;
    await sandbox.idle(opts.gapMs);
  }
}
