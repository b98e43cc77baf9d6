/**
 * The four rotation steps over an injected {@link SecretsStore} and key issuers.
 * Every step may run any number of times for the same token and reaches the same end state.
 * See docs/rotation.md for the contract and the reasoning behind each rule.
 */
import { createHash } from 'node:crypto';
import { ErrorCode, hasCode, SidecarError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import {
  type Provider,
  type ProviderSecret,
  parseProviderSecret,
  SecretValueError,
  serializeProviderSecret,
} from '../shared/provider-secret.ts';
import type { Redactor } from '../shared/redact.ts';
import { MAX_TEST_BACKOFF_MS } from './config.ts';
import { type RotationEvent, RotationStep } from './event.ts';
import type { IssuerDeps, IssuerFactory, KeyIssuer } from './issuers/types.ts';
import { type SecretMetadata, type SecretsStore, Stage } from './secrets-store.ts';

/** What a step did, for the audit line. */
export interface StepResult {
  readonly outcome: 'succeeded' | 'skipped';
  readonly issuer: Provider | undefined;
  readonly keyId: string | undefined;
}

/** Settings the steps need. */
export interface RotatorOptions {
  readonly store: SecretsStore;
  readonly issuers: Partial<Record<Provider, IssuerFactory>>;
  /** Everything but the store, passed to each issuer. */
  readonly issuerDeps: Omit<IssuerDeps, 'store'>;
  readonly testAttempts: number;
  readonly testBackoffMs: number;
  readonly logger: Logger;
  readonly redactor: Redactor;
  sleep(ms: number): Promise<void>;
}

/** Errors worth another verification attempt: propagation delay or a transient failure. */
const RETRYABLE = [
  ErrorCode.Unauthorized,
  ErrorCode.Forbidden,
  ErrorCode.NotFound,
  ErrorCode.Throttled,
  ErrorCode.UpstreamTimeout,
  ErrorCode.UpstreamUnavailable,
];

/** Provider-side tag prefix of keys minted for a secret: `rot-<first 8 hex of sha256(ARN)>-`. */
export function tagPrefix(secretArn: string): string {
  return `rot-${createHash('sha256').update(secretArn).digest('hex').slice(0, 8)}-`;
}

/**
 * The guard every step runs first. Returns `done` when the token is already AWSCURRENT
 * (the rotation finished: success); throws when rotation is disabled, the token has no
 * stage, or the token is not AWSPENDING.
 */
export function checkRotationGuards(meta: SecretMetadata, token: string): 'proceed' | 'done' {
  if (meta.rotationEnabled !== true) {
    throw new SidecarError(ErrorCode.Conflict, `secret ${meta.arn} is not enabled for rotation`, {
      errorType: 'RotationNotEnabled',
    });
  }
  const stages = meta.versions[token];
  if (!stages) {
    throw new SidecarError(
      ErrorCode.Conflict,
      `secret version ${token} has no stage for rotation of secret ${meta.arn}`,
      { errorType: 'VersionHasNoStage' },
    );
  }
  if (stages.includes(Stage.Current)) return 'done';
  if (!stages.includes(Stage.Pending)) {
    throw new SidecarError(
      ErrorCode.Conflict,
      `secret version ${token} is not set as AWSPENDING for rotation of secret ${meta.arn}`,
      { errorType: 'VersionNotPending' },
    );
  }
  return 'proceed';
}

/** Runs rotation steps. One instance per invocation (issuers cache admin credentials). */
export class Rotator {
  readonly #o: RotatorOptions;
  readonly #issuers = new Map<Provider, KeyIssuer>();
  #stepIssuer: Provider | undefined;
  #keyId: string | undefined;

  constructor(options: RotatorOptions) {
    this.#o = options;
  }

  /** The issuer and key the running step had reached; the audit line of a failed step uses it. */
  get progress(): { issuer: Provider | undefined; keyId: string | undefined } {
    return { issuer: this.#stepIssuer, keyId: this.#keyId };
  }

  #note(value: { provider: Provider; keyId?: string | undefined } | undefined): void {
    if (!value) return;
    this.#stepIssuer = value.provider;
    this.#keyId = value.keyId;
  }

  /** Runs `ev.step` after the guards. */
  async run(ev: RotationEvent, meta: SecretMetadata): Promise<StepResult> {
    if (checkRotationGuards(meta, ev.token) === 'done') {
      if (ev.step === RotationStep.FinishSecret) return this.#finishAgain(meta);
      const current = await this.#read(meta.arn, Stage.Current, undefined);
      return { outcome: 'skipped', issuer: current?.provider, keyId: current?.keyId };
    }
    switch (ev.step) {
      case RotationStep.CreateSecret:
        return this.#create(ev, meta);
      case RotationStep.SetSecret:
        return this.#set(ev, meta);
      case RotationStep.TestSecret:
        return this.#test(ev, meta);
      case RotationStep.FinishSecret:
        return this.#finish(ev, meta);
    }
  }

  async #create(ev: RotationEvent, meta: SecretMetadata): Promise<StepResult> {
    const current = await this.#mustRead(meta.arn, Stage.Current, undefined);
    this.#note({ provider: current.provider });
    const existing = await this.#read(meta.arn, Stage.Pending, ev.token);
    if (existing) return { outcome: 'skipped', issuer: existing.provider, keyId: existing.keyId };

    const issuer = this.#issuer(current.provider);
    const previous = await this.#readLenient(meta.arn, Stage.Previous);
    const live = liveKeyIds([current, previous]);
    await this.#sweep(issuer, meta, live);

    const tag = `${tagPrefix(meta.arn)}${ev.token}`;
    const issued = await issuer.issue({ secretArn: meta.arn, token: ev.token, tag, current });
    this.#note({ provider: issuer.provider, keyId: issued.keyId });
    this.#o.redactor.register(issued.apiKey);
    const retires =
      previous?.keyId && previous.keyId !== current.keyId && previous.keyId !== issued.keyId
        ? { provider: previous.provider, keyId: previous.keyId }
        : undefined;
    // The first real key replaces the deploy's placeholder: the flag does not carry over.
    const { retires: _old, placeholder: _placeholder, ...base } = current;
    const pending: ProviderSecret = {
      ...base,
      apiKey: issued.apiKey,
      keyId: issued.keyId,
      ...(retires ? { retires } : {}),
    };
    try {
      await this.#o.store.putPending(meta.arn, {
        token: ev.token,
        value: serializeProviderSecret(pending),
        rotationToken: ev.rotationToken,
      });
    } catch (err) {
      if (!hasCode(err, ErrorCode.Conflict)) throw err;
      // Another attempt stored a value for this token first: keep that one.
      const winner = await this.#read(meta.arn, Stage.Pending, ev.token);
      if (!winner) throw err;
      if (winner.keyId !== issued.keyId) await issuer.revoke(issued.keyId);
      return { outcome: 'skipped', issuer: winner.provider, keyId: winner.keyId };
    }
    this.#o.logger.info('minted pending key', {
      issuer: issuer.provider,
      keyId: issued.keyId,
      reused: issued.reused,
      secretArn: meta.arn,
    });
    return { outcome: 'succeeded', issuer: issuer.provider, keyId: issued.keyId };
  }

  async #set(ev: RotationEvent, meta: SecretMetadata): Promise<StepResult> {
    const pending = await this.#read(meta.arn, Stage.Pending, ev.token);
    this.#note(pending);
    if (!pending) {
      throw new SidecarError(
        ErrorCode.NotFound,
        `setSecret: version ${ev.token} of ${meta.arn} has no value; createSecret has not completed`,
        { errorType: 'PendingValueMissing' },
      );
    }
    await this.#issuer(pending.provider).activate(pending);
    return { outcome: 'succeeded', issuer: pending.provider, keyId: pending.keyId };
  }

  async #test(ev: RotationEvent, meta: SecretMetadata): Promise<StepResult> {
    const pending = await this.#read(meta.arn, Stage.Pending, ev.token);
    this.#note(pending);
    if (pending) {
      await this.#verify(pending);
      return { outcome: 'succeeded', issuer: pending.provider, keyId: pending.keyId };
    }
    // RotateImmediately=false: the service tests the configuration on a pending version that
    // createSecret never filled. Check the current key and the issuer's admin access instead.
    const current = await this.#mustRead(meta.arn, Stage.Current, undefined);
    this.#note(current);
    if (current.placeholder === true) {
      // A fresh deployment: AWSCURRENT is the deploy's random placeholder and the admin
      // credential may still be one too. Nothing can be verified until the first rotation.
      this.#o.logger.info('skipped the configuration test', {
        issuer: current.provider,
        secretArn: meta.arn,
        reason:
          'AWSCURRENT is the placeholder written at deployment and has never been rotated; the first rotation verifies the new key',
      });
      return { outcome: 'skipped', issuer: current.provider, keyId: undefined };
    }
    const issuer = this.#issuer(current.provider);
    await this.#verify(current);
    await issuer.listManaged(tagPrefix(meta.arn));
    this.#o.logger.info('tested rotation configuration with the current key', {
      issuer: current.provider,
      keyId: current.keyId,
      secretArn: meta.arn,
    });
    return { outcome: 'succeeded', issuer: current.provider, keyId: current.keyId };
  }

  async #finish(ev: RotationEvent, meta: SecretMetadata): Promise<StepResult> {
    const pending = await this.#read(meta.arn, Stage.Pending, ev.token);
    this.#note(pending);
    if (!pending) {
      throw new SidecarError(
        ErrorCode.NotFound,
        `finishSecret: version ${ev.token} of ${meta.arn} has no value; createSecret has not completed`,
        { errorType: 'PendingValueMissing' },
      );
    }
    const currentVersion = Object.entries(meta.versions).find(([, s]) =>
      s.includes(Stage.Current),
    )?.[0];
    await this.#o.store.moveCurrent(meta.arn, ev.token, currentVersion);
    this.#o.logger.info('moved AWSCURRENT', {
      secretArn: meta.arn,
      versionId: ev.token,
      previousVersionId: currentVersion,
    });
    await this.#retire(meta.arn, pending);
    return { outcome: 'succeeded', issuer: pending.provider, keyId: pending.keyId };
  }

  /** finishSecret for a token that is already AWSCURRENT: finish any revocation left undone. */
  async #finishAgain(meta: SecretMetadata): Promise<StepResult> {
    const current = await this.#mustRead(meta.arn, Stage.Current, undefined);
    this.#note(current);
    await this.#retire(meta.arn, current);
    return { outcome: 'skipped', issuer: current.provider, keyId: current.keyId };
  }

  /**
   * Revokes the key that fell off AWSPREVIOUS (recorded in `retires` by createSecret) and
   * sweeps keys this function minted for tokens that no longer label any version. Never
   * revokes the AWSCURRENT or AWSPREVIOUS key.
   */
  async #retire(arn: string, newCurrent: ProviderSecret): Promise<void> {
    const meta = await this.#o.store.describe(arn);
    const current = await this.#mustRead(arn, Stage.Current, undefined);
    const previous = await this.#readLenient(arn, Stage.Previous);
    const live = liveKeyIds([current, previous, newCurrent]);
    const r = newCurrent.retires;
    if (r && !live.has(r.keyId)) {
      const result = await this.#issuer(r.provider).revoke(r.keyId);
      this.#o.logger.info('revoked superseded key', {
        issuer: r.provider,
        keyId: r.keyId,
        result,
        secretArn: arn,
      });
    }
    await this.#sweep(this.#issuer(newCurrent.provider), meta, live);
  }

  /**
   * Revokes keys this function minted for the secret that nothing uses: keys whose token labels
   * no version, and extra keys of a token whose stored value names another key (left by an
   * attempt whose PutSecretValue failed or lost a race). Keys of a token whose version has no
   * value yet are kept: a createSecret for that token may still be storing one.
   */
  async #sweep(issuer: KeyIssuer, meta: SecretMetadata, live: ReadonlySet<string>): Promise<void> {
    const managed = await issuer.listManaged(tagPrefix(meta.arn));
    const stored = new Map<string, string | null>();
    for (const k of managed) {
      if (live.has(k.keyId)) continue;
      const stages = meta.versions[k.token];
      if (stages?.[0] !== undefined) {
        if (!stored.has(k.token))
          stored.set(k.token, await this.#storedKeyId(meta.arn, stages[0], k.token));
        const keyId = stored.get(k.token);
        if (keyId === null || keyId === k.keyId) continue;
      }
      const result = await issuer.revoke(k.keyId);
      this.#o.logger.warn('swept orphaned key', {
        issuer: issuer.provider,
        keyId: k.keyId,
        result,
        secretArn: meta.arn,
      });
    }
  }

  /** The keyId a version stores; null when it has no value yet or is unreadable (keep its keys). */
  async #storedKeyId(arn: string, stage: string, versionId: string): Promise<string | null> {
    try {
      const v = await this.#read(arn, stage, versionId);
      return v ? (v.keyId ?? '') : null;
    } catch (err) {
      if (err instanceof SecretValueError) return null;
      throw err;
    }
  }

  /** Verifies with bounded retries for propagation delay. */
  async #verify(key: ProviderSecret): Promise<void> {
    const issuer = this.#issuer(key.provider);
    for (let attempt = 1; ; attempt++) {
      try {
        await issuer.verify(key);
        return;
      } catch (err) {
        if (attempt >= this.#o.testAttempts || !hasCode(err, ...RETRYABLE)) throw err;
        const wait = Math.min(this.#o.testBackoffMs * 2 ** (attempt - 1), MAX_TEST_BACKOFF_MS);
        this.#o.logger.warn('key not accepted yet; retrying', {
          issuer: key.provider,
          keyId: key.keyId,
          attempt,
          waitMs: wait,
          errorCode: err.code,
        });
        await this.#o.sleep(wait);
      }
    }
  }

  #issuer(provider: Provider): KeyIssuer {
    let issuer = this.#issuers.get(provider);
    if (!issuer) {
      const factory = this.#o.issuers[provider];
      if (!factory) {
        throw new SidecarError(
          ErrorCode.ConfigInvalid,
          `no key issuer is configured for provider "${provider}"`,
          { errorType: 'UnknownProvider' },
        );
      }
      issuer = factory({ ...this.#o.issuerDeps, store: this.#o.store });
      this.#issuers.set(provider, issuer);
    }
    return issuer;
  }

  async #read(
    arn: string,
    stage: string,
    versionId: string | undefined,
  ): Promise<ProviderSecret | undefined> {
    const v = await this.#o.store.get(arn, { stage, ...(versionId ? { versionId } : {}) });
    if (!v) return undefined;
    const parsed = parseProviderSecret(
      v.value,
      `secret version ${stage}${versionId ? ` ${versionId}` : ''}`,
    );
    this.#o.redactor.register(parsed.apiKey);
    return parsed;
  }

  async #mustRead(
    arn: string,
    stage: string,
    versionId: string | undefined,
  ): Promise<ProviderSecret> {
    const v = await this.#read(arn, stage, versionId);
    if (!v) {
      throw new SidecarError(ErrorCode.NotFound, `secret ${arn} has no ${stage} value`, {
        errorType: 'ResourceNotFoundException',
      });
    }
    return v;
  }

  /** Reads AWSPREVIOUS; a missing or malformed old version is not an error. */
  async #readLenient(arn: string, stage: string): Promise<ProviderSecret | undefined> {
    try {
      return await this.#read(arn, stage, undefined);
    } catch (err) {
      if (err instanceof SecretValueError) {
        this.#o.logger.warn('ignoring a malformed old version', { secretArn: arn, stage });
        return undefined;
      }
      throw err;
    }
  }
}

function liveKeyIds(values: readonly (ProviderSecret | undefined)[]): Set<string> {
  const out = new Set<string>();
  for (const v of values) if (v?.keyId) out.add(v.keyId);
  return out;
}
