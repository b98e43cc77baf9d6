/**
 * The floor of an HTTP lookup on this machine: a bare `node:http` server on 127.0.0.1 that
 * answers every request with a fixed GetSecretValue-shaped body of the bench secret (no
 * token check, no cache, no routing). The difference to the sidecar's HTTP figures is
 * what the extension itself costs.
 */
import { listenLocal } from '../fakes/local-server.ts';
import { floorBody } from './peer-processes.ts';

/** A running baseline server. */
export interface BaselineServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the baseline server on an ephemeral port. */
export async function startBaselineServer(): Promise<BaselineServer> {
  const body = floorBody();
  const { port, close } = await listenLocal((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  return { port, close };
}
