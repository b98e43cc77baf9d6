/**
 * The floor of an HTTP lookup on this machine: a bare `node:http` server on 127.0.0.1 that
 * answers every request with a fixed GetSecretValue-shaped body of the bench secret (no
 * token check, no cache, no routing). The difference to the sidecar's HTTP figures is
 * what the extension itself costs.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
