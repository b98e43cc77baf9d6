/**
 * The admin-credential value a deployment writes before an operator fills it in: the
 * documented shape of each provider's admin secret, empty, marked `"placeholder": true`.
 * The rotation function recognises it and says what to do instead of failing on a field.
 */
import type { Provider } from '../../shared/provider-secret.ts';

/** Each provider's admin secret, as a deployment first writes it (none for `random`). */
export const ADMIN_PLACEHOLDERS: Readonly<Record<Exclude<Provider, 'random'>, object>> = {
  openai: { placeholder: true, adminKey: '', projectId: '' },
  google: {
    placeholder: true,
    projectId: '',
    serviceAccountEmail: '',
    serviceAccountKey: { client_email: '', private_key: '' },
  },
  anthropic: { placeholder: true, adminKey: '' },
};
