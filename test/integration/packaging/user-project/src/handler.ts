/**
 * A user's Lambda code written against the installed client package: Powertools'
 * functions, the client with its version and origin, and the typed errors.
 * Prints what it read as one JSON line.
 */
import { ErrorCode, type SecretValue, SidecarClient, SidecarError } from '@secret-sidecar/client';
import { GetParameterError } from '@secret-sidecar/client/errors';
import { getSecret } from '@secret-sidecar/client/secrets';
import { getParameter } from '@secret-sidecar/client/ssm';

interface ProviderKey {
  readonly apiKey: string;
}

const key = await getSecret<ProviderKey>('provider', { transform: 'json' });
const model: string | undefined = await getParameter('/app/model');
const client = new SidecarClient({
  port: Number(process.env.SECRET_SIDECAR_HTTP_PORT),
  token: process.env.AWS_SESSION_TOKEN,
  dir: process.env.SECRET_SIDECAR_DIR,
});
const secret: SecretValue = await client.getSecret('provider');
const fromFile: SecretValue = await client.getSecret('from-file');
let missing: string = 'none';
try {
  await client.getSecret('absent');
} catch (err) {
  if (err instanceof SidecarError && err.code === ErrorCode.NotFound) missing = err.code;
  else throw err;
}
let badName = 'none';
try {
  await getParameter('');
} catch (err) {
  if (err instanceof GetParameterError) badName = err.name;
  else throw err;
}
process.stdout.write(
  `${JSON.stringify({
    apiKey: key?.apiKey,
    model,
    http: { versionId: secret.versionId, origin: secret.origin },
    file: { value: fromFile.value, origin: fromFile.origin },
    missing,
    badName,
  })}\n`,
);
