/**
 * A function whose init code reads its secret through the client library, as the parallel
 * init mode asks: the extension may not be listening yet, and the library waits for it
 * (within its bound) instead of failing.
 */
import { getSecret } from '@secret-sidecar/client/secrets';

const alias = process.env.INIT_SECRET ?? 'openai';
const atInit = await getSecret(alias).then(
  (value) => ({ ok: true, value }),
  (err: unknown) => ({ ok: false, error: String(err) }),
);

export const handler = async (): Promise<unknown> => atInit;
