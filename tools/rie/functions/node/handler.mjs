// The function the conformance suite runs on a Node runtime: module scope reads the secret
// file; each invocation reads the secret over HTTP as AWS's Node example does.
import { readFileSync, statSync } from 'node:fs';

const dir = process.env.SECRET_SIDECAR_DIR ?? '/tmp/secret-sidecar';
const port = process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? '2773';

let atInit;
try {
  const path = `${dir}/${process.env.INIT_FILE}`;
  atInit = {
    ok: true,
    mode: statSync(path).mode & 0o777,
    value: JSON.parse(readFileSync(path, 'utf8')).value,
  };
} catch (err) {
  atInit = { ok: false, error: err?.code ?? 'Error' };
}

export async function handler(event) {
  if (event.op === 'init') return atInit;
  const token = { good: process.env.AWS_SESSION_TOKEN, none: undefined, wrong: 'not-the-token' }[
    event.token
  ];
  const res = await fetch(
    `http://localhost:${port}/secretsmanager/get?secretId=${event.secretId}`,
    {
      headers: token === undefined ? {} : { 'X-Aws-Parameters-Secrets-Token': token },
    },
  );
  const json = await res.json().catch(() => ({}));
  return res.status === 200
    ? { status: 200, value: json.SecretString }
    : { status: res.status, type: json.__type };
}
