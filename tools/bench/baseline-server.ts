/**
 * The floor of an HTTP lookup on this machine: a bare `node:http` server on 127.0.0.1 that
 * answers every request with a fixed GetSecretValue-shaped body of the bench secret (no
 * token check, no cache, no routing). The difference to the sidecar's HTTP figures is
 * what the extension itself costs.
 */
import { listenLocal } from '../fakes/local-server.ts';
import { BENCH_SECRET_ID, BENCH_SECRET_VALUE } from './fixture.ts';

/** A running baseline server. */
export interface BaselineServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the baseline server on an ephemeral port. */
export async function startBaselineServer(): Promise<BaselineServer> {
  const body = JSON.stringify({
    ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${BENCH_SECRET_ID}-AbCdEf`,
    Name: BENCH_SECRET_ID,
    VersionId: '00000000-0000-4000-8000-000000000000',
    SecretString: BENCH_SECRET_VALUE,
    VersionStages: ['AWSCURRENT'],
    CreatedDate: 1_767_225_600,
  });
  const { port, close } = await listenLocal((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  return { port, close };
}
