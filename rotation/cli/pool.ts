/**
 * `secret-sidecar-pool`: the operator's tool for an Anthropic key pool. Anthropic keys are
 * created in the Console only, so operators add them to the pool secret; this appends
 * without dropping the claims the rotation function recorded (a hand-edited JSON would, and
 * the pool's resource policy lets only the rotation role and the pool administrators read it).
 * Run it with the rotation role or a pool administrator's credentials:
 *
 *   secret-sidecar-pool add  --pool <secret ARN or name> [--file keys.json]   # else stdin
 *   secret-sidecar-pool list --pool <secret ARN or name>
 *
 * `keys.json` is `[{"keyId": "apikey_01...", "apiKey": "sk-ant-..."}]`. Nothing it prints
 * contains a key.
 */
import { readFile } from 'node:fs/promises';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { messageOf } from '../../shared/errors.ts';
import { globalRedactor } from '../../shared/redact.ts';
import { KeyPoolStore, mergePoolKeys } from '../issuers/key-pool.ts';
import { SecretsStore } from '../secrets-store.ts';

const USAGE =
  'usage: secret-sidecar-pool add --pool <secret ARN or name> [--file keys.json]\n' +
  '       secret-sidecar-pool list --pool <secret ARN or name>\n';

/** Where the CLI reads and writes; injected so tests run it against moto. */
export interface PoolCliIo {
  readonly client: SecretsManagerClient;
  readStdin(): Promise<string>;
  out(line: string): void;
  err(line: string): void;
}

/** Runs one command; resolves to the exit code. */
export async function runPoolCli(argv: readonly string[], io: PoolCliIo): Promise<number> {
  const [command, ...rest] = argv;
  const pool = option(rest, '--pool');
  if ((command !== 'add' && command !== 'list') || pool === undefined) {
    io.err(USAGE);
    return 2;
  }
  const store = new KeyPoolStore(new SecretsStore(io.client), pool, globalRedactor);
  try {
    const current = await store.read();
    if (command === 'list') {
      io.out(`pool serves: ${current.boundTo || '(no secret: set "boundTo")'}`);
      for (const k of current.keys) {
        io.out(`${k.keyId}\t${k.claimedBy ? `claimed by ${k.claimedBy}` : 'unclaimed'}`);
      }
      return 0;
    }
    const file = option(rest, '--file');
    const text = file === undefined ? await io.readStdin() : await readFile(file, 'utf8');
    let added: unknown;
    try {
      added = JSON.parse(text);
    } catch {
      io.err('the keys must be a JSON array [{"keyId": ..., "apiKey": ...}]\n');
      return 2;
    }
    if (!Array.isArray(added)) {
      io.err('the keys must be a JSON array [{"keyId": ..., "apiKey": ...}]\n');
      return 2;
    }
    for (const k of added) {
      const v = (k as { apiKey?: unknown } | null)?.apiKey;
      if (typeof v === 'string') globalRedactor.register(v);
    }
    const merged = mergePoolKeys(current, added);
    const appended = merged.keys.length - current.keys.length;
    if (appended > 0) await store.write(merged);
    const unclaimed = merged.keys.filter((k) => k.claimedBy === undefined).length;
    io.out(
      `appended ${appended} key(s); ${unclaimed} unclaimed, ${merged.keys.length} in the pool`,
    );
    return 0;
  } catch (err) {
    io.err(`${globalRedactor.redactString(messageOf(err))}\n`);
    return 1;
  }
}

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  const v = i === -1 ? undefined : args[i + 1];
  return v === undefined || v.startsWith('--') ? undefined : v;
}
