/** `secret-sidecar-pool` against moto: appending keeps every claim, and nothing printed holds a key. */
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runPoolCli } from '../../../rotation/cli/pool.ts';
import { smClient } from '../../support/rotation-harness.ts';

const client = smClient(inject('motoEndpoint'));
afterAll(() => client.destroy());

const BOUND = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbCdEf';

async function pool(keys: unknown[]): Promise<string> {
  const out = await client.send(
    new CreateSecretCommand({
      Name: `pool-cli-${Math.random().toString(36).slice(2)}`,
      SecretString: JSON.stringify({ boundTo: BOUND, keys }),
    }),
  );
  return out.ARN as string;
}

async function run(argv: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runPoolCli(argv, {
    client,
    readStdin: async () => stdin,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join('\n'), err: err.join('') };
}

async function stored(arn: string) {
  const v = await client.send(
    new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }),
  );
  return JSON.parse(v.SecretString ?? '{}') as { boundTo: string; keys: Record<string, string>[] };
}

describe('secret-sidecar-pool add', () => {
  it('appends new keys, skips ones already there, and keeps every claim and the binding', async () => {
    const arn = await pool([
      { keyId: 'k1', apiKey: 'sk-ant-one-CANARY', claimedBy: 'rot-aaaa-t1', claimedFor: BOUND },
    ]);
    const keys = [
      { keyId: 'k1', apiKey: 'sk-ant-one-CANARY' },
      { keyId: 'k2', apiKey: 'sk-ant-two-CANARY' },
    ];

    const r = await run(['add', '--pool', arn], JSON.stringify(keys));

    expect(r).toMatchObject({ code: 0, out: 'appended 1 key(s); 1 unclaimed, 2 in the pool' });
    expect(await stored(arn)).toEqual({
      boundTo: BOUND,
      keys: [
        { keyId: 'k1', apiKey: 'sk-ant-one-CANARY', claimedBy: 'rot-aaaa-t1', claimedFor: BOUND },
        { keyId: 'k2', apiKey: 'sk-ant-two-CANARY' },
      ],
    });
  });

  it('refuses input that is not a JSON array of {keyId, apiKey}, writing nothing', async () => {
    const arn = await pool([]);
    expect(await run(['add', '--pool', arn], '{"keyId":"x"}')).toMatchObject({
      code: 2,
      err: expect.stringContaining('must be a JSON array'),
    });
    expect(await run(['add', '--pool', arn], '[{"keyId":"x"}]')).toMatchObject({
      code: 1,
      err: expect.stringContaining('added key 0 must be {"keyId": <string>, "apiKey": <string>}'),
    });
    expect((await stored(arn)).keys).toEqual([]);
  });

  it('prints usage without a command or a pool', async () => {
    expect(await run(['add'])).toMatchObject({ code: 2, err: expect.stringContaining('usage:') });
  });
});

describe('secret-sidecar-pool list', () => {
  it('lists key ids and claims, never a key', async () => {
    const arn = await pool([
      { keyId: 'k1', apiKey: 'sk-ant-one-CANARY', claimedBy: 'rot-aaaa-t1', claimedFor: BOUND },
      { keyId: 'k2', apiKey: 'sk-ant-two-CANARY' },
    ]);
    const r = await run(['list', '--pool', arn]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`pool serves: ${BOUND}\nk1\tclaimed by rot-aaaa-t1\nk2\tunclaimed`);
    expect(r.out).not.toContain('CANARY');
  });
});
