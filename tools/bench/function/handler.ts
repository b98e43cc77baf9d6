/**
 * The function `make bench` runs inside the Lambda sandbox, next to the real extension.
 * One invoke of `{op: 'lookup', method}` times `iterations` sequential lookups of the same
 * secret (after untimed warm-up calls) and returns the per-call durations; `{op: 'traffic'}`
 * does one lookup per approach, for counting upstream calls.
 *
 * This file is bundled with esbuild into a temporary task root; it is the entry point, so it
 * reads its environment here and nowhere else.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { getSecret as powertoolsGetSecret } from '@aws-lambda-powertools/parameters/secrets';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SidecarClient } from '@secret-sidecar/client';
import {
  Routes,
  SidecarProtocolEnv,
  secretFileName,
  TOKEN_HEADER,
} from '../../../shared/sidecar-protocol.ts';
import {
  BenchEnv,
  type BenchEvent,
  DIRECT_USER_AGENT,
  LookupMethod,
  type LookupResult,
} from '../methods.ts';
import { sample } from '../stats.ts';

const secretId = required(BenchEnv.SecretId);
const alias = required(BenchEnv.Alias);
const dir = required(SidecarProtocolEnv.Dir);
const port = Number(required(SidecarProtocolEnv.HttpPort));
const token = required('AWS_SESSION_TOKEN');
const baselinePort = Number(process.env[BenchEnv.BaselinePort] ?? 0);

const filePath = join(dir, secretFileName(alias));
const path = `${Routes.SecretsManagerGet}?secretId=${encodeURIComponent(alias)}`;
const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
const baselineAgent = new Agent({ keepAlive: true, maxSockets: 1 });
const client = new SidecarClient({ dir, port, token, redactor: false });
const direct = new SecretsManagerClient({ customUserAgent: DIRECT_USER_AGENT });

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} must be set`);
  return value;
}

/** The sidecar file lookup a function does without the library: read, parse, check freshness. */
function parseFresh(text: string): string {
  const envelope = JSON.parse(text) as { value: string; expiresAt: number };
  if (!(envelope.expiresAt > Date.now())) throw new Error(`${filePath} has expired`);
  return envelope.value;
}

/** GET on the sidecar's HTTP API (or the bare baseline server); resolves with the SecretString. */
function httpLookup(agent: Agent | false, to = port): Promise<string> {
  if (!(to > 0)) return Promise.reject(new Error(`${BenchEnv.BaselinePort} must be set`));
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: to, path, agent, headers: { [TOKEN_HEADER]: token } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new Error(`sidecar answered ${res.statusCode}`));
            return;
          }
          resolve((JSON.parse(body) as { SecretString: string }).SecretString);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function directLookup(): Promise<string> {
  const out = await direct.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (out.SecretString === undefined) throw new Error('GetSecretValue returned no SecretString');
  return out.SecretString;
}

async function powertoolsLookup(maxAge?: number): Promise<string> {
  const value = await powertoolsGetSecret(secretId, maxAge === undefined ? {} : { maxAge });
  if (typeof value !== 'string') throw new Error('Powertools getSecret returned no string');
  return value;
}

const lookups: Record<LookupMethod, () => unknown> = {
  [LookupMethod.File]: () => parseFresh(readFileSync(filePath, 'utf8')),
  [LookupMethod.FileAsync]: async () => parseFresh(await readFile(filePath, 'utf8')),
  [LookupMethod.HttpKeepAlive]: () => httpLookup(keepAlive),
  [LookupMethod.HttpNewConnection]: () => httpLookup(false),
  [LookupMethod.HttpBaseline]: () => httpLookup(baselineAgent, baselinePort),
  [LookupMethod.ClientWarm]: () => client.getSecret(alias),
  [LookupMethod.Powertools]: () => powertoolsLookup(),
  [LookupMethod.Direct]: () => directLookup(),
};

/** Lambda handler. */
export async function handler(event: BenchEvent): Promise<LookupResult | { ok: true }> {
  if (event.op === 'traffic') {
    await client.getSecret(alias);
    await powertoolsLookup(event.powertoolsMaxAgeSeconds);
    await directLookup();
    return { ok: true };
  }
  const lookup = lookups[event.method];
  if (lookup === undefined) throw new Error(`unknown method ${JSON.stringify(event.method)}`);
  const durationsNs = await sample(lookup, {
    iterations: event.iterations,
    warmup: event.warmup,
  });
  return { method: event.method, durationsNs };
}
