/**
 * Anthropic issuer. The Admin API cannot create keys, so keys come from a pool of
 * pre-provisioned keys ({@link KeyPoolStore}); superseded keys are deactivated (or
 * archived) through the Admin API (`x-api-key: <admin key>`, `anthropic-version`):
 *  - status: GET  /v1/organizations/api_keys/{id}
 *  - update: POST /v1/organizations/api_keys/{id} {"status": "active"|"inactive"|"archived"}
 *  - verify: GET  {baseURL}/v1/models?limit=1 with the new key.
 * The `KeyPoolRemaining` metric reports the unclaimed keys left after each claim;
 * below ROTATION_KEY_POOL_LOW_WATERMARK a warning is logged too.
 */

import { ErrorCode, SidecarError } from '../../shared/errors.ts';
import { MetricName, MetricUnit } from '../../shared/metrics.ts';
import { apiBaseURL, type ProviderSecret } from '../../shared/provider-secret.ts';
import { RotationEnv } from '../config.ts';
import { AdminFields } from './admin.ts';
import { expectJson, joinUrl, providerError, requestJson } from './http.ts';
import { KeyPoolStore, type PoolEntry } from './key-pool.ts';
import type {
  IssuedKey,
  IssueRequest,
  IssuerFactory,
  KeyIssuer,
  ManagedKey,
  RevokeResult,
} from './types.ts';

/** Public defaults. */
export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
export const ANTHROPIC_VERSION = '2023-06-01';

const NAME = 'Anthropic';
/** A pool key that expires sooner than this is not handed out: it would lapse as AWSCURRENT. */
const MIN_REMAINING_LIFETIME_MS = 7 * 86_400_000;

/** Status a superseded key is given. */
export type RetireStatus = 'inactive' | 'archived';

interface AnthropicAdmin {
  readonly adminKey: string;
  readonly adminBaseURL: string;
  readonly retireStatus: RetireStatus;
}

/** Builds the Anthropic pool issuer. Admin secret: `{adminKey, adminBaseURL?, retireStatus?}`. */
export const anthropicIssuer: IssuerFactory = (deps) => {
  let admin: AnthropicAdmin | undefined;
  let pool: KeyPoolStore | undefined;
  const poolStore = () => {
    pool ??= new KeyPoolStore(deps.store, deps.poolSecretArn, deps.redactor);
    return pool;
  };
  const loadAdmin = async (): Promise<AnthropicAdmin> => {
    if (admin) return admin;
    const f = new AdminFields('anthropic', await deps.adminSecret(), deps.redactor);
    const adminKey = f.secret('adminKey');
    const adminBaseURL = f.url('adminBaseURL', ANTHROPIC_BASE_URL);
    const retire = f.optional('retireStatus') ?? 'inactive';
    if (retire !== 'inactive' && retire !== 'archived')
      f.fail('retireStatus must be inactive or archived');
    f.done();
    admin = { adminKey, adminBaseURL, retireStatus: retire as RetireStatus };
    return admin;
  };
  const headers = (a: AnthropicAdmin) => ({
    'x-api-key': a.adminKey,
    'anthropic-version': ANTHROPIC_VERSION,
  });
  const keyUrl = (a: AnthropicAdmin, keyId: string) =>
    joinUrl(a.adminBaseURL, `v1/organizations/api_keys/${encodeURIComponent(keyId)}`);

  const status = async (a: AnthropicAdmin, keyId: string): Promise<string | undefined> => {
    const res = await requestJson(NAME, 'get API key', keyUrl(a, keyId), {
      headers: headers(a),
      timeoutMs: deps.httpTimeoutMs,
    });
    if (res.status === 404) return undefined;
    if (res.status < 200 || res.status > 299) throw providerError(NAME, 'get API key', res);
    const s = (res.body as { status?: unknown } | undefined)?.status;
    return typeof s === 'string' ? s : 'unknown';
  };
  /** Whether a pool key can still be handed out: active or inactive, and not about to expire. */
  const keyState = async (
    a: AnthropicAdmin,
    keyId: string,
  ): Promise<{ usable: boolean; reason?: string }> => {
    const res = await requestJson(NAME, 'get API key', keyUrl(a, keyId), {
      headers: headers(a),
      timeoutMs: deps.httpTimeoutMs,
    });
    if (res.status === 404) return { usable: false, reason: 'not found' };
    if (res.status < 200 || res.status > 299) throw providerError(NAME, 'get API key', res);
    const body = (res.body ?? {}) as { status?: unknown; expires_at?: unknown };
    if (body.status !== 'active' && body.status !== 'inactive') {
      return { usable: false, reason: `status ${String(body.status)}` };
    }
    if (typeof body.expires_at === 'string') {
      const at = Date.parse(body.expires_at);
      if (Number.isFinite(at) && at - deps.now() < MIN_REMAINING_LIFETIME_MS) {
        return { usable: false, reason: `expires at ${body.expires_at}` };
      }
    }
    return { usable: true };
  };
  const setStatus = async (a: AnthropicAdmin, keyId: string, to: string): Promise<void> => {
    await expectJson(NAME, `set API key status to ${to}`, keyUrl(a, keyId), {
      method: 'POST',
      headers: headers(a),
      body: { status: to },
      timeoutMs: deps.httpTimeoutMs,
    });
  };

  const issuer: KeyIssuer = {
    provider: 'anthropic',

    async issue(req: IssueRequest): Promise<IssuedKey> {
      const store = poolStore();
      const current = await store.readFor(req.secretArn);
      const mine = current.keys.find((k) => k.claimedBy === req.tag);
      if (mine) return { keyId: mine.keyId, apiKey: mine.apiKey, reused: true };
      // Keys the Console let expire (or that were archived) can never be used: drop them.
      const a = await loadAdmin();
      const unusable = new Set<string>();
      let pick: PoolEntry | undefined;
      for (const k of current.keys) {
        if (k.claimedBy !== undefined) continue;
        const state = await keyState(a, k.keyId);
        if (state.usable) {
          pick = k;
          break;
        }
        unusable.add(k.keyId);
        deps.logger.warn('skipped unusable pool key', {
          issuer: 'anthropic',
          keyId: k.keyId,
          reason: state.reason,
        });
      }
      const kept = current.keys.filter((k) => !unusable.has(k.keyId));
      const remaining = kept.filter((k) => k.claimedBy === undefined && k !== pick).length;
      deps.metrics.record(MetricName.KeyPoolRemaining, remaining, MetricUnit.Count);
      if (!pick) {
        if (unusable.size > 0) await store.write({ boundTo: current.boundTo, keys: kept });
        throw new SidecarError(
          ErrorCode.Conflict,
          `the Anthropic key pool has no usable key${unusable.size > 0 ? ` (${unusable.size} expired or archived dropped)` : ''}: add pre-provisioned keys to the ${RotationEnv.KeyPoolSecretArn} secret (see docs/rotation.md)`,
          { errorType: 'KeyPoolEmpty' },
        );
      }
      const claimed = pick;
      await store.write({
        boundTo: current.boundTo,
        keys: kept.map((k) =>
          k === claimed ? { ...k, claimedBy: req.tag, claimedFor: req.secretArn } : k,
        ),
      });
      // No conditional write in Secrets Manager: read the claim back before using the key.
      const after = await store.readFor(req.secretArn);
      const entry = after.keys.find((k) => k.keyId === claimed.keyId);
      if (entry?.claimedBy !== req.tag || entry.claimedFor !== req.secretArn) {
        throw new SidecarError(
          ErrorCode.Conflict,
          `the Anthropic key pool changed while key ${claimed.keyId} was being claimed; the next attempt claims again`,
          { errorType: 'KeyPoolClaimLost' },
        );
      }
      if (remaining < deps.poolLowWatermark) {
        deps.logger.warn('key pool low', {
          issuer: 'anthropic',
          remaining,
          lowWatermark: deps.poolLowWatermark,
        });
      }
      return { keyId: claimed.keyId, apiKey: claimed.apiKey, reused: false };
    },

    async activate(key: ProviderSecret): Promise<boolean> {
      const a = await loadAdmin();
      if (!key.keyId) return false;
      const s = await status(a, key.keyId);
      if (s === 'active') return false;
      if (s === 'inactive') {
        await setStatus(a, key.keyId, 'active');
        return true;
      }
      throw new SidecarError(
        ErrorCode.UpstreamRejected,
        `Anthropic key ${key.keyId} cannot be used: its status is ${s ?? 'unknown (not found)'}`,
        { errorType: 'ProviderError' },
      );
    },

    async verify(key: ProviderSecret): Promise<void> {
      const base = apiBaseURL(key) ?? ANTHROPIC_BASE_URL;
      await expectJson(NAME, 'list models with the new key', joinUrl(base, 'v1/models?limit=1'), {
        headers: { 'x-api-key': key.apiKey, 'anthropic-version': ANTHROPIC_VERSION },
        timeoutMs: deps.httpTimeoutMs,
      });
    },

    async revoke(keyId: string): Promise<RevokeResult> {
      const a = await loadAdmin();
      const s = await status(a, keyId);
      let result: RevokeResult = 'already-revoked';
      if (s !== undefined && s !== 'archived' && s !== 'expired' && s !== a.retireStatus) {
        await setStatus(a, keyId, a.retireStatus);
        result = 'revoked';
      }
      if (deps.poolSecretArn) {
        const store = poolStore();
        const p = await store.read();
        if (p.keys.some((k) => k.keyId === keyId)) {
          await store.write({ boundTo: p.boundTo, keys: p.keys.filter((k) => k.keyId !== keyId) });
        }
      }
      return result;
    },

    async listManaged(tagPrefix: string): Promise<readonly ManagedKey[]> {
      const p = await poolStore().read();
      return p.keys
        .filter((k) => k.claimedBy?.startsWith(tagPrefix))
        .map((k) => ({ keyId: k.keyId, token: (k.claimedBy ?? '').slice(tagPrefix.length) }));
    },
  };
  return issuer;
};
