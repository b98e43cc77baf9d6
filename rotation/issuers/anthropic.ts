/**
 * Anthropic issuer. The Admin API cannot create keys (the official `@anthropic-ai/sdk`
 * 1.15.0 has `organization.apiKeys.retrieve/update/list` and no create), so keys come from a
 * pool of pre-provisioned keys ({@link KeyPoolStore}); superseded keys are deactivated (or
 * archived) through the Admin API, called with that SDK (`x-api-key: <admin key>`):
 *  - status: GET  /v1/organizations/api_keys/{id}             (`organization.apiKeys.retrieve`)
 *  - update: POST /v1/organizations/api_keys/{id} {status}    (`organization.apiKeys.update`)
 *  - verify: GET  {apiBaseURL}/v1/models?limit=1 with the new key (`models.list`).
 * The `KeyPoolRemaining` metric reports the unclaimed keys left after each claim;
 * below ROTATION_KEY_POOL_LOW_WATERMARK a warning is logged too.
 */

import {
  Anthropic,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  NotFoundError,
} from '@anthropic-ai/sdk';
import { ErrorCode, SidecarError } from '../../shared/errors.ts';
import { MetricName, MetricUnit } from '../../shared/metrics.ts';
import { apiBaseURL, type ProviderSecret } from '../../shared/provider-secret.ts';
import { RotationEnv } from '../config.ts';
import { AdminFields } from './admin.ts';
import { KeyPoolStore, type PoolEntry } from './key-pool.ts';
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
export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

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
  let client: Anthropic | undefined;
  const adminClient = (a: AnthropicAdmin): Anthropic => {
    client ??= sdkClient(a.adminKey, a.adminBaseURL, deps.httpTimeoutMs);
    return client;
  };
  /** The key's Admin API record, or undefined when Anthropic has no such key. */
  const record = async (
    a: AnthropicAdmin,
    keyId: string,
  ): Promise<{ status: string; expires_at: string | null } | undefined> =>
    call('get API key', async () => {
      try {
        return await adminClient(a).organization.apiKeys.retrieve(keyId);
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
    });

  const status = async (a: AnthropicAdmin, keyId: string): Promise<string | undefined> =>
    (await record(a, keyId))?.status;
  /** Whether a pool key can still be handed out: active or inactive, and not about to expire. */
  const keyState = async (
    a: AnthropicAdmin,
    keyId: string,
  ): Promise<{ usable: boolean; reason?: string }> => {
    const key = await record(a, keyId);
    if (key === undefined) return { usable: false, reason: 'not found' };
    if (key.status !== 'active' && key.status !== 'inactive') {
      return { usable: false, reason: `status ${key.status}` };
    }
    if (typeof key.expires_at === 'string') {
      const at = Date.parse(key.expires_at);
      if (Number.isFinite(at) && at - deps.now() < MIN_REMAINING_LIFETIME_MS) {
        return { usable: false, reason: `expires at ${key.expires_at}` };
      }
    }
    return { usable: true };
  };
  const setStatus = async (
    a: AnthropicAdmin,
    keyId: string,
    to: 'active' | RetireStatus,
  ): Promise<void> => {
    await call(`set API key status to ${to}`, () =>
      adminClient(a).organization.apiKeys.update(keyId, { status: to }),
    );
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
      const withKey = sdkClient(key.apiKey, base, deps.httpTimeoutMs);
      await call('list models with the new key', () => withKey.models.list({ limit: 1 }));
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

/** Runs one SDK call; its errors are mapped in {@link sdkCall}. */
function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  return sdkCall(NAME, { APIError, APIConnectionError, APIConnectionTimeoutError }, operation, run);
}

/**
 * An SDK client with no retries of its own (the rotation retries), nothing from the
 * environment (`ANTHROPIC_*` are the function's, not ours), no logs and no tracing.
 */
function sdkClient(apiKey: string, baseURL: string, timeoutMs: number): Anthropic {
  return new Anthropic({
    apiKey,
    authToken: null,
    baseURL,
    timeout: timeoutMs,
    maxRetries: 0,
    logLevel: 'off',
    openTelemetry: false,
  });
}
