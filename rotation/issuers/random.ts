/**
 * Self-issued keys for services we run ourselves: 32 bytes from KMS `GenerateRandom`.
 * There is no provider to revoke at: our own verifiers accept AWSCURRENT and AWSPREVIOUS,
 * so a key stops working when it falls off AWSPREVIOUS. When the secret has an `apiBaseURL`,
 * testSecret calls it with `Authorization: Bearer <key>` and expects a 2xx answer.
 */
import { GenerateRandomCommand } from '@aws-sdk/client-kms';
import { toSidecarError } from '../../shared/aws-errors.ts';
import { ErrorCode, SidecarError } from '../../shared/errors.ts';
import { apiBaseURL, type ProviderSecret } from '../../shared/provider-secret.ts';
import { expectJson } from './http.ts';
import type { IssuedKey, IssueRequest, IssuerFactory, KeyIssuer, RevokeResult } from './types.ts';

/** Bytes of randomness in a self-issued key. */
export const RANDOM_KEY_BYTES = 32;
/** Prefix of self-issued keys. */
export const RANDOM_KEY_PREFIX = 'ssk_';

/** Builds the `random` issuer (no admin secret). */
export const randomIssuer: IssuerFactory = (deps) => {
  const issuer: KeyIssuer = {
    provider: 'random',

    async issue(req: IssueRequest): Promise<IssuedKey> {
      if (!deps.kms) {
        throw new SidecarError(ErrorCode.ConfigInvalid, 'the random issuer needs a KMS client', {
          errorType: 'InvalidConfiguration',
        });
      }
      let bytes: Uint8Array | undefined;
      try {
        const out = await deps.kms.send(
          new GenerateRandomCommand({ NumberOfBytes: RANDOM_KEY_BYTES }),
        );
        bytes = out.Plaintext;
      } catch (err) {
        throw toSidecarError(err, { service: 'KMS', operation: 'GenerateRandom' });
      }
      if (!bytes || bytes.length !== RANDOM_KEY_BYTES) {
        throw new SidecarError(ErrorCode.UpstreamRejected, 'KMS GenerateRandom returned no bytes', {
          errorType: 'KmsError',
        });
      }
      const apiKey = `${RANDOM_KEY_PREFIX}${Buffer.from(bytes).toString('base64url')}`;
      deps.redactor.register(apiKey);
      return { keyId: `rnd-${req.token}`, apiKey, reused: false };
    },

    async activate(): Promise<boolean> {
      return false;
    },

    async verify(key: ProviderSecret): Promise<void> {
      const raw = key.apiKey.startsWith(RANDOM_KEY_PREFIX)
        ? Buffer.from(key.apiKey.slice(RANDOM_KEY_PREFIX.length), 'base64url')
        : Buffer.alloc(0);
      if (raw.length !== RANDOM_KEY_BYTES) {
        throw new SidecarError(
          ErrorCode.UpstreamRejected,
          `a random key must be "${RANDOM_KEY_PREFIX}" followed by ${RANDOM_KEY_BYTES} base64url bytes`,
          { errorType: 'InvalidSecretValue' },
        );
      }
      const verifier = apiBaseURL(key);
      if (verifier) {
        await expectJson('self-issued key verifier', 'authenticate with the new key', verifier, {
          headers: { authorization: `Bearer ${key.apiKey}` },
          timeoutMs: deps.httpTimeoutMs,
        });
      }
    },

    async revoke(): Promise<RevokeResult> {
      return 'already-revoked';
    },

    async listManaged() {
      return [];
    },
  };
  return issuer;
};
