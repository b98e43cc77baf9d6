/**
 * A local HTTP server that imitates the secret-sidecar extension's
 * `/secretsmanager/get` endpoint, for client-library and handler unit tests.
 */
import { once } from 'node:events';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type SecretEnvelope,
  secretFileName,
  TOKEN_HEADER,
} from '../../../shared/sidecar-protocol.ts';

/** One stored version. */
export interface FakeVersion {
  readonly versionId: string;
  readonly value: string;
}

/** What the fake saw. */
export interface FakeSidecarRequest {
  readonly secretId: string | null;
  readonly refreshNow: boolean;
  readonly tokenOk: boolean;
  /** The whole query string, e.g. `?secretId=a&versionStage=AWSPREVIOUS`. */
  readonly query: string;
}

/** A scripted answer for the next request. */
export type FakeSidecarFault =
  | { readonly kind: 'status'; readonly status: number; readonly body: string }
  | { readonly kind: 'reset' }
  | { readonly kind: 'hang' };

/** The fake extension. */
export class FakeSidecar {
  readonly token: string;
  readonly requests: FakeSidecarRequest[] = [];
  readonly faults: FakeSidecarFault[] = [];
  /** Current version per id; `refreshNow` or plain gets both serve it. */
  readonly secrets = new Map<string, FakeVersion>();
  /** When set, plain gets serve this older version until a refreshNow (imitates a cache). */
  readonly cached = new Map<string, FakeVersion>();
  /** Parameters by name: `/systemsmanager/parameters/get` serves them. */
  readonly parameters = new Map<string, { readonly version: number; readonly value: string }>();
  /** Query strings of parameter requests, in order. */
  readonly parameterQueries: string[] = [];
  #server: Server | undefined;
  port = 0;

  constructor(token = 'session-token-for-tests') {
    this.token = token;
  }

  /** Starts listening on 127.0.0.1 (port 0 unless given). */
  async start(port = 0): Promise<this> {
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.listen(port, '127.0.0.1');
    await once(this.#server, 'listening');
    const addr = this.#server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    if (!s) return;
    this.#server = undefined;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const secretId = url.searchParams.get('secretId');
    const refreshNow = url.searchParams.get('refreshNow') === 'true';
    const tokenOk = req.headers[TOKEN_HEADER] === this.token;
    this.requests.push({ secretId, refreshNow, tokenOk, query: url.search });
    const fault = this.faults.shift();
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'application/json' });
      res.end(fault.body);
      return;
    }
    if (!tokenOk) {
      res.writeHead(403).end('Bad Token');
      return;
    }
    if (url.pathname === '/systemsmanager/parameters/get') {
      this.parameterQueries.push(url.search);
      const name = url.searchParams.get('name') ?? '';
      const p = this.parameters.get(name);
      if (!p) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ __type: 'ParameterNotFound', message: 'no such parameter' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          Parameter: {
            Name: name,
            Type: 'SecureString',
            Value: p.value,
            Version: p.version,
            ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${name}`,
            DataType: 'text',
          },
        }),
      );
      return;
    }
    if (url.pathname !== '/secretsmanager/get' || secretId === null) {
      res.writeHead(400).end('missing parameter secretId');
      return;
    }
    if (refreshNow) this.cached.delete(secretId);
    const v = this.cached.get(secretId) ?? this.secrets.get(secretId);
    if (!v) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${secretId}-AbCdEf`,
        Name: secretId,
        VersionId: v.versionId,
        SecretString: v.value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: '1767225600.0',
      }),
    );
  }
}

/** A temp directory for envelopes, removed by `cleanup()`. */
export function tempSecretDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-client-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes an envelope the way the extension does (temp file + rename, mode 0600). */
export function writeEnvelope(
  dir: string,
  alias: string,
  v: FakeVersion,
  expiresAt: number,
  fetchedAt = expiresAt - 300_000,
  source: SecretEnvelope['source'] = 'secretsmanager',
): string {
  const envelope: SecretEnvelope = {
    version: 1,
    source,
    name: alias,
    secretId: alias,
    arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${alias}-AbCdEf`,
    versionId: v.versionId,
    versionStages: ['AWSCURRENT'],
    value: v.value,
    binary: false,
    fetchedAt,
    expiresAt,
  };
  const path = join(dir, secretFileName(alias));
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(envelope), { mode: 0o600 });
  renameSync(tmp, path);
  return path;
}
