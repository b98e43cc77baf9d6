/**
 * The pluggable key-issuer port. The secret's `provider` field picks the issuer;
 * each one can mint (idempotently, tagged with the rotation token), verify with
 * the cheapest real authenticated call, and revoke (tolerating an already-revoked key).
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import type { Logger } from '../../shared/logger.ts';
import type { Metrics } from '../../shared/metrics.ts';
import type { Provider, ProviderSecret } from '../../shared/provider-secret.ts';
import type { Redactor } from '../../shared/redact.ts';
import type { SecretsStore } from '../secrets-store.ts';

/** What createSecret asks an issuer for. */
export interface IssueRequest {
  readonly secretArn: string;
  /** The rotation's ClientRequestToken. */
  readonly token: string;
  /** Provider-side tag for this secret and token: `rot-<8 hex of the ARN's hash>-<token>`. */
  readonly tag: string;
  /** The AWSCURRENT value (for base URLs and other settings). */
  readonly current: ProviderSecret;
}

/** A key ready to store as AWSPENDING. */
export interface IssuedKey {
  readonly keyId: string;
  /** Secret: never logged. */
  readonly apiKey: string;
  /** True when a key minted for this token by an earlier attempt was found and reused. */
  readonly reused: boolean;
}

/** A provider key this function minted for some secret and token. */
export interface ManagedKey {
  readonly keyId: string;
  /** The rotation token the key was minted for. */
  readonly token: string;
}

/** Result of a revocation. */
export type RevokeResult = 'revoked' | 'already-revoked';

/** One provider's key lifecycle. */
export interface KeyIssuer {
  readonly provider: Provider;
  /** Returns the key for `req.token`, reusing one minted earlier for the same token. */
  issue(req: IssueRequest): Promise<IssuedKey>;
  /** setSecret: makes the pending key usable at the provider. Returns false when nothing had to change. */
  activate(key: ProviderSecret): Promise<boolean>;
  /** testSecret: one real authenticated call with the key; throws if the provider rejects it. */
  verify(key: ProviderSecret): Promise<void>;
  /** Revokes a key by id; an unknown or already-revoked key is not an error. */
  revoke(keyId: string): Promise<RevokeResult>;
  /** Keys this function minted for the secret whose tags start with `tagPrefix`. */
  listManaged(tagPrefix: string): Promise<readonly ManagedKey[]>;
}

/** What an issuer may use. Admin credentials come from their own secret, never from env. */
export interface IssuerDeps {
  /** Reads and parses the admin-credential secret (AWSCURRENT); its values are registered for redaction. */
  adminSecret(): Promise<Readonly<Record<string, unknown>>>;
  readonly store: SecretsStore;
  /** The key-pool secret (pool issuers only). */
  readonly poolSecretArn: string | undefined;
  readonly poolLowWatermark: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly redactor: Redactor;
  /** KMS client (the `random` issuer). */
  readonly kms: KMSClient | undefined;
  /** Timeout of each provider HTTP call. */
  readonly httpTimeoutMs: number;
  /** Waits (injected so tests control time). */
  sleep(ms: number): Promise<void>;
  /** Wall-clock time, epoch ms (injected so tests control time). */
  now(): number;
}

/** Builds an issuer for one invocation. */
export type IssuerFactory = (deps: IssuerDeps) => KeyIssuer;
