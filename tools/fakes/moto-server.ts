/**
 * Starts a real `moto_server` (the local stand-in for AWS) on 127.0.0.1 for tests, `make demo` and `make bench`.
 * The binary comes from `MOTO_SERVER` (set by the Makefile via scripts/ensure-moto.sh)
 * or from PATH.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A running moto server. */
export interface MotoServer {
  /** e.g. `http://127.0.0.1:43121` */
  readonly endpoint: string;
  readonly port: number;
  /** Clears all moto state. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Finds a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Starts moto_server and waits until it answers. */
export async function startMoto(
  bin = process.env.MOTO_SERVER ?? 'moto_server',
): Promise<MotoServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (e) =>
      reject(new Error(`could not start moto_server (${bin}): ${e.message}`, { cause: e })),
    );
    child.once('exit', (code) =>
      reject(new Error(`moto_server exited early with code ${code}: ${stderr}`)),
    );
  });
  spawnError.catch(() => undefined);
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await Promise.race([fetch(`${endpoint}/moto-api/`), spawnError]);
      if (res.status < 500) break;
    } catch (e) {
      if (child.exitCode !== null || Date.now() > deadline) throw e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    port,
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      try {
        process.kill(-(child.pid ?? 0), 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-(child.pid ?? 0), 'SIGKILL');
        } catch {
          // already gone
        }
      }, 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
