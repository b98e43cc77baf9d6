/** The built-in issuers, keyed by the secret's `provider` field. */
import type { Provider } from '../../shared/provider-secret.ts';
import { anthropicIssuer } from './anthropic.ts';
import { googleIssuer } from './google.ts';
import { openaiIssuer } from './openai.ts';
import { randomIssuer } from './random.ts';
import type { IssuerFactory } from './types.ts';

/** Every built-in issuer. */
export const DEFAULT_ISSUERS: Readonly<Record<Provider, IssuerFactory>> = Object.freeze({
  openai: openaiIssuer,
  google: googleIssuer,
  anthropic: anthropicIssuer,
  random: randomIssuer,
});
