/**
 * The npm packages as a user gets them: `make packages` tarballs installed into a fresh
 * project with their peers from the registry, compiled there with strict `tsc` (library
 * checks on, so our `.d.ts` are checked too), the client called against a stand-in
 * extension, and a user stack synthesized from the construct package alone.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPaths, ROOT } from '../../../scripts/build.ts';
import { FakeSidecar, tempSecretDir, writeEnvelope } from '../../support/inference/fake-sidecar.ts';

const run = promisify(execFile);
const PACKAGES = join(ROOT, 'dist/packages');
const PROJECT = join(ROOT, 'test/integration/packaging/user-project');
/** Peers a user installs next to the construct package (the repo's own pins). */
const PEERS = [
  'aws-cdk-lib@2.276.0',
  'constructs@10.8.1',
  'typescript@5.9.3',
  '@types/node@20.19.43',
];

/** The public API: every export each entry point documents (the package READMEs, index.ts). */
const DOCUMENTED_EXPORTS: Record<string, readonly string[]> = {
  '@secret-sidecar/client': [
    'DEFAULT_MAX_AGE_SECONDS',
    'ErrorCode',
    'GetParameterError',
    'PowertoolsEnv',
    'SidecarClient',
    'SidecarClientEnv',
    'SidecarError',
    'Transform',
    'TransformParameterError',
    'clearCaches',
    'clientOptionsFrom',
    'defaultSidecarClient',
    'getParameter',
    'getParameters',
    'getParametersByName',
    'getSecret',
    'getSecrets',
    'loadSidecarClientConfig',
    'readSidecarClientConfig',
    'refresh',
  ],
  '@secret-sidecar/client/secrets': ['getSecret'],
  '@secret-sidecar/client/ssm': ['getParameter', 'getParameters', 'getParametersByName'],
  '@secret-sidecar/client/errors': ['GetParameterError', 'TransformParameterError'],
  '@secret-sidecar/cdk': [
    'AWS_EXTENSION_PORT_VARIABLE',
    'AlarmTopic',
    'DEFAULT_ARCHITECTURE',
    'DEFAULT_INFERENCE_ROUTES',
    'DEFAULT_LOG_RETENTION',
    'DEFAULT_RUNTIME',
    'INVOKE_SCOPE',
    'INVOKE_SCOPE_NAME',
    'InferenceApi',
    'InferenceEnv',
    'LayerFlavour',
    'NODE_FLAVOUR_RUNTIMES',
    'Observability',
    'PACKAGE_ASSETS_DIR',
    'PROVIDERS',
    'PROVIDER_SECRET_ALIAS',
    'PackagedAsset',
    'Provider',
    'RESOURCE_SERVER_ID',
    'ROTATION_AUDIT_MESSAGE',
    'ROTATION_FAILURE_EVENTS',
    'RotatedApiKey',
    'RotationEnv',
    'STANDALONE_FLAVOUR_RUNTIMES',
    'SecretSidecarLayer',
    'SidecarEnv',
    'SidecarFunction',
    'SidecarLogLevel',
    'acknowledgeDefaultRuntime',
    'attachSecretSidecar',
    'createFunctionLogGroup',
    'createFunctionRole',
    'flavourFor',
    'isSecretSidecarLayer',
    'layerName',
    'packagedAssetPath',
    'standaloneLayerPackage',
    'standaloneLayerZip',
  ],
};

let project: string;
let tarballs: Record<string, string>;
let tsc: { code: number; output: string };

async function tarballFor(name: string): Promise<string> {
  const file = (await readdir(PACKAGES)).find(
    (f) => f.startsWith(`${name}-`) && f.endsWith('.tgz'),
  );
  if (!file) throw new Error(`no ${name} tarball in dist/packages: run \`make packages\``);
  return join(PACKAGES, file);
}

/**
 * The Node.js versions user code runs on: this process's, and the pinned Node 22 the
 * standalone layer of this machine's architecture bundles (from `make build`).
 */
const NODES: readonly (readonly [string, string])[] = [
  [`Node ${process.versions.node}`, process.execPath],
  ...(process.arch === 'x64' || process.arch === 'arm64'
    ? [
        [
          "the standalone layer's Node 22",
          buildPaths(join(ROOT, 'dist')).standalone(process.arch === 'x64' ? 'x86_64' : 'arm64')
            .node,
        ] as const,
      ]
    : []),
];

async function node(
  script: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  binary: string = process.execPath,
) {
  const { stdout } = await run(binary, [join(project, 'out', script), ...args], {
    cwd: project,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  return stdout;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

beforeAll(async () => {
  tarballs = {
    client: await tarballFor('secret-sidecar-client'),
    cdk: await tarballFor('secret-sidecar-cdk'),
    x86_64: await tarballFor('secret-sidecar-layer-standalone-x86_64'),
    arm64: await tarballFor('secret-sidecar-layer-standalone-arm64'),
  };
  project = await mkdtemp(join(tmpdir(), 'secret-sidecar-user-'));
  await cp(PROJECT, project, { recursive: true });
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      ...Object.values(tarballs),
      ...PEERS,
    ],
    { cwd: project, env: { ...process.env, npm_config_workspaces: 'false' } },
  );
  tsc = await run(join(project, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: project })
    .then((r) => ({ code: 0, output: r.stdout + r.stderr }))
    .catch((err: { code?: number; stdout?: string }) => ({
      code: err.code ?? 1,
      output: err.stdout ?? String(err),
    }));
}, 240_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('the installed packages', () => {
  it('compile in a user project under tsc --strict, NodeNext, with library checks on', () => {
    expect(tsc.output).toBe('');
    expect(tsc.code).toBe(0);
  });

  it.each(NODES)(
    'export exactly the documented API from every entry point, on %s',
    async (_label, binary) => {
      const exported = JSON.parse(await node('exports.js', [], {}, binary)) as Record<
        string,
        string[]
      >;
      expect(exported).toEqual(
        Object.fromEntries(Object.entries(DOCUMENTED_EXPORTS).map(([k, v]) => [k, [...v].sort()])),
      );
    },
  );

  it('ship built JavaScript, declarations, README and LICENSE, and no TypeScript sources', async () => {
    for (const tarball of [tarballs.client, tarballs.cdk] as string[]) {
      const { stdout } = await run('tar', ['-tzf', tarball]);
      const files = stdout.trim().split('\n');
      expect(files).toContain('package/LICENSE');
      expect(files).toContain('package/README.md');
      expect(files).toContain('package/dist/index.js');
      expect(files.some((f) => f.endsWith('.d.ts'))).toBe(true);
      expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    }
  });
});

describe('the client package', () => {
  it.each(NODES)(
    'reads over HTTP and from the extension files, with typed errors, on %s',
    async (_label, binary) => {
      const sidecar = await new FakeSidecar('token-of-this-test').start();
      const files = tempSecretDir();
      try {
        sidecar.secrets.set('provider', { versionId: 'v-http', value: '{"apiKey":"sk-test"}' });
        sidecar.parameters.set('/app/model', { version: 3, value: 'gpt-test' });
        writeEnvelope(
          files.dir,
          'from-file',
          { versionId: 'v-file', value: 'file value' },
          Date.now() + 600_000,
        );
        const out = JSON.parse(
          await node(
            'handler.js',
            [],
            {
              SECRET_SIDECAR_HTTP_PORT: String(sidecar.port),
              SECRET_SIDECAR_DIR: files.dir,
              AWS_SESSION_TOKEN: sidecar.token,
            },
            binary,
          ),
        );
        expect(out).toEqual({
          apiKey: 'sk-test',
          model: 'gpt-test',
          http: { versionId: 'v-http', origin: 'http' },
          file: { value: 'file value', origin: 'file' },
          missing: 'NOT_FOUND',
          badName: 'GetParameterError',
        });
        expect(sidecar.requests.every((r) => r.tokenOk)).toBe(true);
      } finally {
        files.cleanup();
        await sidecar.stop();
      }
    },
  );
});

describe('the construct package', () => {
  let template: {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  let out: string;

  beforeAll(async () => {
    out = join(project, 'cdk.out');
    // Synthesized on the newest Node here: the pinned Node 22 where the layer has one.
    await node('stack.js', [out], {}, NODES.at(-1)?.[1]);
    template = JSON.parse(await readFile(join(out, 'UserStack.template.json'), 'utf8'));
  }, 60_000);

  /** The function whose logical id starts with `prefix`. */
  function resource(prefix: string) {
    const hit = Object.entries(template.Resources).find(
      ([id, r]) => id.startsWith(prefix) && r.Type === 'AWS::Lambda::Function',
    );
    if (!hit) throw new Error(`no resource ${prefix}`);
    return { id: hit[0], ...hit[1] };
  }

  function layerNameOf(fn: string): unknown {
    const layers = resource(fn).Properties.Layers as { Ref: string }[];
    expect(layers).toHaveLength(1);
    return template.Resources[layers[0]?.Ref ?? '']?.Properties.LayerName;
  }

  it.each([
    ['a Node.js function', 'NodeFn', 'secret-sidecar'],
    ['a Python x86_64 function', 'PythonFn', 'secret-sidecar-standalone-x86_64'],
    ['a function given a layer', 'ArmPythonFn', 'secret-sidecar-standalone-arm64'],
  ])('attaches the right layer flavour to %s', (_what, fn, layer) => {
    expect(layerNameOf(fn)).toBe(layer);
  });

  /** The file or folder in cdk.out that a resource's `Code` / `Content` S3 key names. */
  async function assetOf(code: unknown): Promise<string> {
    const key = (code as { S3Key?: string }).S3Key ?? '';
    const assets = JSON.parse(await readFile(join(out, 'UserStack.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string } }>;
    };
    const asset = assets.files[key.replace(/\.zip$/, '')];
    if (!asset) throw new Error(`no asset for S3 key ${key}`);
    return join(out, asset.source.path);
  }

  async function installed(path: string): Promise<string> {
    return sha256(await readFile(join(project, 'node_modules/@secret-sidecar', path)));
  }

  it('deploys the standalone layer from the installed layer package, byte for byte', async () => {
    const layer =
      template.Resources[
        (resource('PythonFn').Properties.Layers as { Ref: string }[])[0]?.Ref ?? ''
      ];
    const zip = await assetOf(layer?.Properties.Content);
    expect(sha256(await readFile(zip))).toBe(await installed('layer-standalone-x86_64/layer.zip'));
  });

  it('deploys the rotation function from the bundle inside the construct package', async () => {
    const fn = resource('OpenAIKeyFunction');
    expect(fn.Properties.Runtime).toBe('nodejs22.x');
    const dir = await assetOf(fn.Properties.Code);
    expect(sha256(await readFile(join(dir, 'index.mjs')))).toBe(
      await installed('cdk/assets/rotation/index.mjs'),
    );
  });
});
