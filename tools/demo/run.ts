/**
 * `make demo`: the whole system, locally, with no AWS account.
 *
 * moto stands in for Secrets Manager, a local server for OpenAI. The inference
 * function runs with the secret-sidecar extension in the local Lambda sandbox
 * (real processes, frozen between invokes); the rotation function runs in a
 * second sandbox and is driven the way Secrets Manager drives it, in the middle
 * of the traffic. Exits non-zero if anything failed.
 */

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SidecarEnv } from '../../extension/config.ts';
import { InferenceEnv } from '../../inference/config.ts';
import { RotationEnv } from '../../rotation/config.ts';
import { FaultProxy } from '../fakes/fault-proxy.ts';
import { registerRotationFunction } from '../fakes/moto-lambda.ts';
import { startMoto } from '../fakes/moto-server.ts';
import { type RotateResult, rotate } from '../fakes/rotation-driver.ts';
import { LambdaSandbox } from '../sandbox/index.ts';
import { startFakeOpenAI } from './fake-openai.ts';
import { type DemoFacts, passed, renderReport } from './report.ts';
import { type RequestOutcome, sendRequest, sendWhile } from './traffic.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dist = join(root, 'dist');
const MODEL = 'gpt-4o-mini';
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'demo', secretAccessKey: 'demo' };
const started = performance.now();

function progress(message: string): void {
  const s = ((performance.now() - started) / 1000).toFixed(1).padStart(5);
  process.stdout.write(`[${s}s] ${message}\n`);
}

async function main(): Promise<number> {
  for (const p of [
    'layer/extensions/secret-sidecar',
    'inference/index.mjs',
    'rotation/index.mjs',
  ]) {
    if (!existsSync(join(dist, p))) throw new Error(`dist/${p} is missing: run make build first`);
  }
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    progress('starting moto_server (Secrets Manager) and the local OpenAI stand-in');
    const moto = await startMoto();
    cleanup.push(() => moto.stop());
    const provider = await startFakeOpenAI([MODEL]);
    cleanup.push(() => provider.close());
    const sidecarProxy = await FaultProxy.start(moto.endpoint);
    const rotationProxy = await FaultProxy.start(moto.endpoint);
    cleanup.push(
      () => sidecarProxy.close(),
      () => rotationProxy.close(),
    );

    const sm = new SecretsManagerClient({
      region: REGION,
      endpoint: moto.endpoint,
      credentials: CREDENTIALS,
    });
    const admin = await sm.send(
      new CreateSecretCommand({
        Name: 'demo/openai-admin',
        SecretString: JSON.stringify({
          adminKey: provider.admin.adminKey,
          projectId: provider.admin.projectId,
          adminBaseURL: provider.url,
        }),
      }),
    );
    const first = provider.admin.seedKey('initial');
    const secretName = 'demo/openai-api-key';
    await sm.send(
      new CreateSecretCommand({
        Name: secretName,
        SecretString: JSON.stringify({
          provider: 'openai',
          apiKey: first.value,
          keyId: first.id,
          baseURL: provider.url,
          apiBaseURL: provider.url,
          model: MODEL,
        }),
      }),
    );
    const rotationLambdaArn = await registerRotationFunction(moto.endpoint);
    const keyLabels = new Map<string, string>();
    const labelCurrent = async (note: string): Promise<string> => {
      const v = await sm.send(
        new GetSecretValueCommand({ SecretId: secretName, VersionStage: 'AWSCURRENT' }),
      );
      const keyId = (JSON.parse(v.SecretString ?? '{}') as { keyId?: string }).keyId ?? '?';
      keyLabels.set(
        keyId,
        `${keyId.slice(0, 12)}… (version ${v.VersionId?.slice(0, 8)}…, ${note})`,
      );
      return keyId;
    };
    await labelCurrent('initial');
    progress(`created secret ${secretName} holding a provider key, and its admin credential`);

    const output: string[] = [];
    const inference = new LambdaSandbox({
      extensionsDir: join(dist, 'layer/extensions'),
      taskRoot: join(dist, 'inference'),
      handler: 'index.handler',
      functionName: 'demo-inference',
      timeoutMs: 10_000,
      env: {
        AWS_ENDPOINT_URL: sidecarProxy.endpoint,
        [SidecarEnv.Secrets]: `provider=${secretName}`,
        [SidecarEnv.TtlSeconds]: '2',
        [SidecarEnv.Dir]: '/tmp/secret-sidecar-demo',
        [InferenceEnv.AllowedModels]: MODEL,
        [InferenceEnv.DefaultModel]: MODEL,
      },
      onOutput: (l) => output.push(l.line),
    });
    cleanup.push(() => inference.shutdown());
    const rotation = new LambdaSandbox({
      taskRoot: join(dist, 'rotation'),
      handler: 'index.handler',
      functionName: 'demo-rotation',
      timeoutMs: 30_000,
      env: {
        AWS_ENDPOINT_URL: rotationProxy.endpoint,
        [RotationEnv.AdminSecretArn]: admin.ARN ?? 'demo/openai-admin',
        [RotationEnv.TestBackoffMs]: '200',
      },
      onOutput: (l) => output.push(l.line),
    });
    cleanup.push(() => rotation.shutdown());

    const init = await inference.init();
    const ext = init.extensions[0];
    progress(
      `inference function initialised in the sandbox with the secret-sidecar layer (init ${init.durationMs.toFixed(0)} ms${ext ? `, extension registered ${(ext.registeredAt - ext.spawnedAt).toFixed(0)} ms after spawn, secret prefetched` : ''})`,
    );
    await rotation.init();
    progress('rotation function initialised in its own sandbox');

    const outcomes: RequestOutcome[] = [];
    const unauth = await sendRequest(inference, provider, 'unauthenticated', 'no token', false);
    const rejectedAsExpected = unauth.statusCode === 401 ? 1 : 0;
    progress(`a request without a JWT was answered ${unauth.statusCode}`);

    await sendWhile(
      inference,
      provider,
      'steady traffic',
      { gapMs: 100, max: 12, until: () => false },
      outcomes,
    );
    progress(`steady traffic: ${outcomes.length} requests served`);

    const rotations: { label: string; result: RotateResult }[] = [];
    const runRotation = async (label: string): Promise<string> => {
      const before = [...keyLabels.keys()];
      const during: RequestOutcome[] = [];
      let done = false;
      const traffic = (async () => {
        while (!done) {
          during.push(await sendRequest(inference, provider, `during ${label}`, 'mid-rotation'));
          await inference.idle(50);
        }
      })();
      let result: RotateResult;
      try {
        result = await rotate({
          client: sm,
          secretId: secretName,
          rotationLambdaArn,
          handler: async (event) => {
            const r = await rotation.invoke(event, { timeoutMs: 30_000 });
            if (r.status !== 'ok') {
              throw new Error(`${r.error?.errorType}: ${r.error?.errorMessage}`);
            }
            return r.payload;
          },
        });
      } finally {
        done = true;
        await traffic.catch(() => undefined);
      }
      outcomes.push(...during);
      rotations.push({ label, result });
      const newKey = await labelCurrent(`from ${label}`);
      progress(
        `${label}: ${result.ok ? 'succeeded' : 'FAILED'} (${result.steps.map((s) => s.step).join(' → ')}), ${during.length} requests served meanwhile`,
      );
      if (before.includes(newKey)) throw new Error(`${label} did not produce a new key`);
      return newKey;
    };

    const second = await runRotation('rotation 1');
    await sendWhile(
      inference,
      provider,
      'after rotation 1',
      { gapMs: 250, max: 40, until: (o) => o.keyId === second },
      outcomes,
    );
    progress('the sidecar picked up the new key version within its TTL; no request failed');

    const third = await runRotation('rotation 2');
    await sendWhile(
      inference,
      provider,
      'after rotation 2',
      { gapMs: 250, max: 40, until: (o) => o.keyId === third },
      outcomes,
    );
    // OpenAI keys are revoked by deleting the service account of their generation.
    const revoked = [first.id, second, third].filter((k) => provider.admin.deleted.includes(k));
    progress(`second rotation done; the first key fell off AWSPREVIOUS and was revoked`);

    const shutdown = await inference.shutdown();
    const extExit = shutdown.extensions[0];
    progress(
      `SHUTDOWN: extension exited ${extExit?.exitCode ?? extExit?.signal} in ${extExit?.durationMs.toFixed(0)} ms`,
    );
    await rotation.shutdown();

    const secrets = provider.registry.list().map((k) => k.key);
    const leaked = output.filter((line) => secrets.some((s) => line.includes(s))).length;
    const count = (proxy: FaultProxy): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const c of proxy.calls) {
        const op = c.target.replace(/^secretsmanager\./, '');
        out[op] = (out[op] ?? 0) + 1;
      }
      return out;
    };
    const facts: DemoFacts = {
      outcomes,
      rejectedAsExpected,
      keyLabels,
      rotations,
      revoked,
      smCalls: [
        { who: 'sidecar extension', counts: count(sidecarProxy) },
        { who: 'rotation function', counts: count(rotationProxy) },
      ],
      scannedLines: output.length,
      leakedLines: leaked,
      seconds: (performance.now() - started) / 1000,
    };
    process.stdout.write(`${renderReport(facts)}\n`);
    if (!revoked.includes(first.id)) {
      process.stdout.write('FAIL: the first key was not revoked after the second rotation\n');
      return 1;
    }
    if (revoked.includes(second) || revoked.includes(third)) {
      process.stdout.write('FAIL: a key still AWSCURRENT or AWSPREVIOUS was revoked\n');
      return 1;
    }
    return passed(facts) ? 0 : 1;
  } finally {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
