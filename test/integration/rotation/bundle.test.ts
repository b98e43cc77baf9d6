/**
 * The bundled entry point (as scripts/build.ts builds dist/rotation/index.mjs) exports `handler`,
 * reads its environment once, and runs a full rotation in a separate Node process against the
 * strict Secrets Manager model and the fake OpenAI Admin API.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type OpenAIAdminServer,
  startOpenAIAdminServer,
} from '../../../tools/fakes/openai-admin.ts';
import {
  type StrictSecretsManagerServer,
  startStrictSecretsManager,
} from '../../../tools/fakes/strict-secrets-manager.ts';
import { built } from '../../support/build.ts';
import { smClient } from '../../support/rotation-harness.ts';

const run = promisify(execFile);
const bundle = join(built().rotationTask, 'index.mjs');
let sm: StrictSecretsManagerServer;
let openai: OpenAIAdminServer;

beforeAll(async () => {
  [sm, openai] = await Promise.all([startStrictSecretsManager(), startOpenAIAdminServer()]);
});
afterAll(async () => {
  await Promise.all([sm.close(), openai.close()]);
});

const baseEnv = () => ({
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_LAMBDA_FUNCTION_NAME: 'secret-sidecar-rotation',
  AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
});

/** Runs `code` in a fresh Node process with the bundle imported as `m`. */
async function inChild(code: string, env: Record<string, string>) {
  const script = `const m = await import(${JSON.stringify(bundle)});\n${code}`;
  return run(process.execPath, ['--input-type=module', '-e', script], {
    env,
    timeout: 20_000,
  }).catch((e: { stdout: string; stderr: string; code: number }) => e);
}

describe('the bundled rotation function', () => {
  it('exports handler', async () => {
    const out = await inChild('console.log(typeof m.handler);', baseEnv());
    expect(out.stdout.trim()).toBe('function');
  });

  it('fails its init with every bad variable listed', async () => {
    const out = await inChild('console.log("loaded");', {
      ...baseEnv(),
      ROTATION_TEST_ATTEMPTS: '0',
      ROTATION_LOG_LEVEL: 'chatty',
    });
    expect(out.stdout).not.toContain('loaded');
    expect(out.stderr).toContain(
      'ROTATION_LOG_LEVEL must be one of debug, info, warn, error, none',
    );
    expect(out.stderr).toContain('ROTATION_TEST_ATTEMPTS must be an integer from 1 to 20');
  });

  it('rotates an OpenAI key, writing audit lines and EMF to stdout', async () => {
    const client = smClient(sm.url);
    const seed = openai.state.seedKey();
    const name = `bundle-${Date.now()}`;
    const secret = await client.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify({
          provider: 'openai',
          apiKey: seed.value,
          keyId: seed.id,
          baseURL: openai.url,
        }),
      }),
    );
    const admin = await client.send(
      new CreateSecretCommand({
        Name: `${name}-admin`,
        SecretString: JSON.stringify({
          adminKey: openai.state.adminKey,
          projectId: openai.state.projectId,
          adminBaseURL: openai.url,
        }),
      }),
    );
    const token = '6f0c5a1e-8d7b-4c3a-9e2f-1a2b3c4d5e6f';
    await client.send(
      new RotateSecretCommand({
        SecretId: secret.ARN,
        ClientRequestToken: token,
        RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:rot',
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    client.destroy();

    const out = await inChild(
      `for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
         await m.handler({ Step, SecretId: ${JSON.stringify(secret.ARN)}, ClientRequestToken: ${JSON.stringify(token)} });
       }`,
      { ...baseEnv(), ROTATION_ADMIN_SECRET_ARN: admin.ARN as string },
    );

    const lines = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const audit = lines.filter((l) => l.message === 'rotation step');
    expect(audit.map((a) => [a.step, a.outcome])).toEqual([
      ['createSecret', 'succeeded'],
      ['setSecret', 'succeeded'],
      ['testSecret', 'succeeded'],
      ['finishSecret', 'succeeded'],
    ]);
    expect(lines.filter((l) => l._aws !== undefined)).toHaveLength(4);
    expect(sm.state.stages(secret.ARN as string)[token]).toContain('AWSCURRENT');
    expect(out.stdout).not.toContain(seed.value);
  });
});
