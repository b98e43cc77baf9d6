/**
 * `make publish-layer` as a real process against moto's Lambda: each flavour becomes a
 * new version of its own layer name, with runtimes, architectures, description and
 * licence, shared with the accounts or organisation asked for, and the ARNs printed.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  LambdaClient,
  ListLayerVersionsCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildPaths, ROOT } from '../../../scripts/build.ts';
import { zipDirectory } from '../../../scripts/zip.ts';
import { built } from '../../support/build.ts';
import { AWS_TEST_ENV } from '../../support/extension/aws.ts';
import { freePort } from '../../support/moto.ts';

const run = promisify(execFile);
/** A region no other test uses, so layer versions start at 1. */
const REGION = 'eu-south-2';
const TSX = join(ROOT, 'node_modules/.bin/tsx');

let dist: string;
let lambda: LambdaClient;

async function publish(
  ...args: string[]
): Promise<{ stdout: string; stderr: string; code: number }> {
  return publishTo(inject('motoEndpoint'), ...args);
}

async function publishTo(
  endpoint: string,
  ...args: string[]
): Promise<{ stdout: string; stderr: string; code: number }> {
  return run(TSX, [join(ROOT, 'scripts/publish-layer.ts'), '--dist', dist, ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...AWS_TEST_ENV,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ENDPOINT_URL_LAMBDA: endpoint,
    },
  })
    .then((r) => ({ ...r, code: 0 }))
    .catch((err: { stdout: string; stderr: string; code: number }) => err);
}

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'publish-layer-'));
  const paths = buildPaths(dist);
  // The node flavour as built for this run; the standalone ones stand in small (the
  // script only reads their zips).
  await zipDirectory(built().layerDir, paths.layerZip);
  for (const arch of ['x86_64', 'arm64'] as const) {
    const dir = join(dist, `stand-in-${arch}`, 'extensions');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'secret-sidecar'), `#!/bin/sh\n# ${arch}\n`, { mode: 0o755 });
    await zipDirectory(join(dist, `stand-in-${arch}`), paths.standalone(arch).zip);
  }
  lambda = new LambdaClient({
    region: REGION,
    endpoint: inject('motoEndpoint'),
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
});

afterAll(async () => {
  lambda?.destroy();
  if (dist) await rm(dist, { recursive: true, force: true });
});

describe('make publish-layer', () => {
  it('publishes every flavour under its own name, with its runtimes, architectures and licence', async () => {
    const out = await publish('--accounts', '111122223333,444455556666');
    expect(out.code).toBe(0);
    expect(out.stderr).not.toMatch(/error/i);
    const listed = await Promise.all(
      ['secret-sidecar', 'secret-sidecar-standalone-x86_64', 'secret-sidecar-standalone-arm64'].map(
        async (name) => {
          const { LayerVersions = [] } = await lambda.send(
            new ListLayerVersionsCommand({ LayerName: name }),
          );
          const latest = LayerVersions[0];
          const version = await lambda.send(
            new GetLayerVersionCommand({ LayerName: name, VersionNumber: latest?.Version }),
          );
          return {
            name,
            runtimes: version.CompatibleRuntimes?.length,
            architectures: version.CompatibleArchitectures,
            licence: version.LicenseInfo,
            description: version.Description,
          };
        },
      ),
    );
    expect(listed).toEqual([
      {
        name: 'secret-sidecar',
        runtimes: 2,
        architectures: ['x86_64', 'arm64'],
        licence: 'Apache-2.0',
        description: expect.stringContaining('node flavour'),
      },
      {
        name: 'secret-sidecar-standalone-x86_64',
        runtimes: 15,
        architectures: ['x86_64'],
        licence: 'Apache-2.0',
        description: expect.stringContaining('standalone flavour, x86_64'),
      },
      {
        name: 'secret-sidecar-standalone-arm64',
        runtimes: 15,
        architectures: ['arm64'],
        licence: 'Apache-2.0',
        description: expect.stringContaining('standalone flavour, arm64'),
      },
    ]);
  });

  it('prints each new ARN as text and writes them as JSON', async () => {
    const out = await publish('--flavour', 'node');
    const lines = out.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^node\s+arn:aws:lambda:eu-south-2:\d{12}:layer:secret-sidecar:\d+$/);
    const written = JSON.parse(await readFile(join(dist, 'published-layers.json'), 'utf8'));
    expect(written.layers).toHaveLength(1);
    expect(lines[0]).toContain(written.layers[0].layerVersionArn);
  });

  it('prints JSON with --json', async () => {
    const out = await publish('--flavour', 'standalone-arm64', '--json');
    const printed = JSON.parse(out.stdout) as { layers: { layerName: string; version: number }[] };
    expect(printed.layers.map((l) => l.layerName)).toEqual(['secret-sidecar-standalone-arm64']);
    expect(printed.layers[0]?.version).toBeGreaterThan(1);
  });

  it('shares a new version with each account asked for, read-only', async () => {
    const out = await publish(
      '--flavour',
      'node',
      '--accounts',
      '111122223333,444455556666',
      '--json',
    );
    const [layer] = (JSON.parse(out.stdout) as { layers: { version: number }[] }).layers;
    const { Policy = '{}' } = await lambda.send(
      new GetLayerVersionPolicyCommand({
        LayerName: 'secret-sidecar',
        VersionNumber: layer?.version,
      }),
    );
    const statements = (
      JSON.parse(Policy) as { Statement: { Sid: string; Action: string; Principal: unknown }[] }
    ).Statement;
    expect(statements.map((s) => [s.Sid, s.Action])).toEqual([
      ['account-111122223333', 'lambda:GetLayerVersion'],
      ['account-444455556666', 'lambda:GetLayerVersion'],
    ]);
  });

  it('shares a new version with an organisation', async () => {
    const out = await publish('--flavour', 'node', '--organization', 'o-abcdef1234', '--json');
    const [layer] = (JSON.parse(out.stdout) as { layers: { version: number }[] }).layers;
    const { Policy = '{}' } = await lambda.send(
      new GetLayerVersionPolicyCommand({
        LayerName: 'secret-sidecar',
        VersionNumber: layer?.version,
      }),
    );
    const [statement] = (JSON.parse(Policy) as { Statement: Record<string, unknown>[] }).Statement;
    // AWS turns OrganizationId into a `aws:PrincipalOrgID` condition; moto 5.2 keeps the
    // request field as it came (it only maps AddPermission's PrincipalOrgID).
    expect(statement).toMatchObject({
      Sid: 'organization-o-abcdef1234',
      Action: 'lambda:GetLayerVersion',
      Principal: '*',
      OrganizationId: 'o-abcdef1234',
    });
  });

  it('refuses bad options with every problem named and publishes nothing', async () => {
    const before = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'secret-sidecar' }));
    const out = await publish('--flavour', 'python', '--accounts', '12345,111122223333');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(
      '--flavour is "python"; allowed: node, standalone-x86_64, standalone-arm64',
    );
    expect(out.stderr).toContain(
      '--accounts has "12345"; allowed: comma-separated 12-digit account ids',
    );
    const after = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'secret-sidecar' }));
    expect(after.LayerVersions?.length).toBe(before.LayerVersions?.length);
  });

  it('reports an unreachable Lambda API in one line naming the service, without a stack trace', async () => {
    const out = await publishTo(`http://127.0.0.1:${await freePort()}`, '--flavour', 'node');
    expect(out.code).toBe(1);
    const lines = out.stderr.split('\n').filter((l) => l.startsWith('publish-layer: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^publish-layer: Lambda /);
    expect(out.stderr).not.toMatch(/^\s+at /m);
  }, 30_000);
});
