/**
 * A function written against Powertools Parameters' documented examples
 * (docs.powertools.aws.dev/lambda/typescript/latest/features/parameters), with only the
 * import changed from `@aws-lambda-powertools/parameters/{secrets,ssm}` to
 * `@secret-sidecar/client/{secrets,ssm}`. Each event op runs one documented example.
 */
import { getSecret } from '@secret-sidecar/client/secrets';
import type { SSMGetParametersByNameOptions } from '@secret-sidecar/client/ssm';
import { getParameter, getParametersByName } from '@secret-sidecar/client/ssm';

interface ExampleEvent {
  readonly op: 'secret-json' | 'parameter-decrypt' | 'batch' | 'secret' | 'secret-force';
  readonly names: Record<string, string>;
}

export const handler = async (event: ExampleEvent): Promise<unknown> => {
  switch (event.op) {
    case 'secret':
      // "Fetching secrets": a single secret.
      return { value: await getSecret(event.names.secret ?? '') };
    case 'secret-json':
      // "Deserializing values with transform parameter".
      return { value: await getSecret(event.names.json ?? '', { transform: 'json' }) };
    case 'parameter-decrypt':
      // "Decrypting secure string parameters".
      return { value: await getParameter(event.names.secure ?? '', { decrypt: true }) };
    case 'batch': {
      // "Fetching multiple parameters by name", gracefully.
      const props: Record<string, SSMGetParametersByNameOptions> = {
        [event.names.config ?? '']: { maxAge: 300, transform: 'json' },
        [event.names.missing ?? '']: { maxAge: 0 },
        [event.names.plain ?? '']: {},
      };
      const { _errors: errors, ...parameters } = await getParametersByName(props, {
        throwOnError: false,
      });
      return { parameters, errors };
    }
    case 'secret-force':
      // "Always fetching the latest": bypass the cache.
      return { value: await getSecret(event.names.secret ?? '', { forceFetch: true }) };
  }
};
