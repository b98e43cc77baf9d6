/**
 * The layer's two flavours in CDK: what each declares, which one a function may carry, and
 * the refusals at synth (the node flavour where there is no node, the wrong architecture,
 * AWS's extension on the same port).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standaloneLayerZip } from '../../../cdk/src/assets.ts';
import { attachSecretSidecar } from '../../../cdk/src/attach-secret-sidecar.ts';
import { LayerFlavour, STANDALONE_FLAVOUR_RUNTIMES } from '../../../cdk/src/layer-flavour.ts';
import {
  SecretSidecarLayer,
  type SecretSidecarLayerImportOptions,
} from '../../../cdk/src/secret-sidecar-layer.ts';
import { type FakeDist, makeFakeDist } from '../../support/cdk.ts';

let dist: FakeDist;
beforeAll(() => {
  dist = makeFakeDist();
});
afterAll(() => dist?.cleanup());

const ACCOUNT_ARN = 'arn:aws:lambda:us-east-1:111122223333:layer';

function stack(env?: { region: string; account: string }): Stack {
  return new Stack(new App(), 'User', { env });
}

function fn(
  s: Stack,
  runtime: lambda.Runtime,
  architecture = lambda.Architecture.ARM_64,
  props: Partial<lambda.FunctionProps> = {},
): lambda.Function {
  return new lambda.Function(s, 'Fn', {
    runtime,
    architecture,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(dist.inference),
    ...props,
  });
}

function layerProps(s: Stack) {
  return Template.fromStack(s).findResources('AWS::Lambda::LayerVersion');
}

describe('SecretSidecarLayer', () => {
  it('declares the node flavour for Node.js runtimes on both architectures', () => {
    const s = stack();
    new SecretSidecarLayer(s, 'L', { assetPath: dist.layer });
    const [layer] = Object.values(layerProps(s));
    expect(layer?.Properties).toMatchObject({
      LayerName: 'secret-sidecar',
      CompatibleRuntimes: ['nodejs22.x', 'nodejs24.x'],
      CompatibleArchitectures: ['x86_64', 'arm64'],
      LicenseInfo: 'Apache-2.0',
    });
  });

  it.each([lambda.Architecture.X86_64, lambda.Architecture.ARM_64])(
    'declares the standalone flavour for %s only, and for every runtime family',
    (architecture) => {
      const s = stack();
      const layer = new SecretSidecarLayer(s, 'L', {
        flavour: LayerFlavour.Standalone,
        architecture,
        assetPath: dist.layer,
      });
      expect(layer.flavour).toBe('standalone');
      const [resource] = Object.values(layerProps(s));
      expect(resource?.Properties).toMatchObject({
        LayerName: `secret-sidecar-standalone-${architecture.name}`,
        CompatibleArchitectures: [architecture.name],
        CompatibleRuntimes: STANDALONE_FLAVOUR_RUNTIMES.map((r) => r.name),
      });
      const runtimes = resource?.Properties.CompatibleRuntimes as string[];
      expect(runtimes.length).toBeLessThanOrEqual(15); // Lambda's limit
      for (const family of ['python', 'nodejs', 'java', 'dotnet', 'ruby', 'provided']) {
        expect(runtimes.some((r) => r.startsWith(family))).toBe(true);
      }
    },
  );

  it('refuses an architecture for the node flavour, which runs on both', () => {
    expect(
      () =>
        new SecretSidecarLayer(stack(), 'L', {
          architecture: lambda.Architecture.X86_64,
          assetPath: dist.layer,
        }),
    ).toThrow(/architecture applies to the standalone flavour only/);
  });
});

describe('the standalone zips, from their own packages', () => {
  let project: string;
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'standalone-resolve-'));
    for (const arch of ['x86_64', 'arm64']) {
      const dir = join(project, 'node_modules/@secret-sidecar', `layer-standalone-${arch}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({
          name: `@secret-sidecar/layer-standalone-${arch}`,
          exports: { './layer.zip': './layer.zip', './package.json': './package.json' },
        }),
      );
      if (arch === 'x86_64') writeFileSync(join(dir, 'layer.zip'), 'PK');
    }
    writeFileSync(join(project, 'package.json'), '{}');
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  const from = () => pathToFileURL(join(project, 'stack.mjs')).href;

  it("resolves an installed package's layer.zip", () => {
    expect(standaloneLayerZip('x86_64', from())).toBe(
      join(project, 'node_modules/@secret-sidecar/layer-standalone-x86_64/layer.zip'),
    );
  });

  it('names the package to install when it is not installed', () => {
    const elsewhere = pathToFileURL(join(tmpdir(), 'nowhere', 'stack.mjs')).href;
    expect(() => standaloneLayerZip('arm64', elsewhere)).toThrow(
      /comes in the package @secret-sidecar\/layer-standalone-arm64: `npm install --save-dev @secret-sidecar\/layer-standalone-arm64`/,
    );
  });

  it('names the missing zip when the package has none', () => {
    expect(() => standaloneLayerZip('arm64', from())).toThrow(
      /layer-standalone-arm64\/layer\.zip is missing/,
    );
  });
});

describe('SecretSidecarLayer.fromVersionArn', () => {
  it.each([
    ['secret-sidecar', 'node', undefined],
    ['secret-sidecar-standalone-x86_64', 'standalone', 'x86_64'],
    ['secret-sidecar-standalone-arm64', 'standalone', 'arm64'],
  ])('reads the flavour from the published name %s', (name, flavour, architecture) => {
    const layer = SecretSidecarLayer.fromVersionArn(stack(), 'L', `${ACCOUNT_ARN}:${name}:4`);
    expect(layer.flavour).toBe(flavour);
    expect(layer.architecture?.name).toBe(architecture);
    expect(layer.layerVersionArn).toBe(`${ACCOUNT_ARN}:${name}:4`);
  });

  it('needs the flavour for a layer under another name', () => {
    expect(() =>
      SecretSidecarLayer.fromVersionArn(stack(), 'L', `${ACCOUNT_ARN}:our-secrets:1`),
    ).toThrow(/cannot tell the flavour of layer .*our-secrets:1: pass \{ flavour: 'node' \}/);
    const layer = SecretSidecarLayer.fromVersionArn(stack(), 'L', `${ACCOUNT_ARN}:our-secrets:1`, {
      flavour: LayerFlavour.Standalone,
      architecture: lambda.Architecture.X86_64,
    });
    expect(layer.architecture?.name).toBe('x86_64');
  });

  it.each<[string, string, SecretSidecarLayerImportOptions, RegExp]>([
    [
      'a flavour',
      'secret-sidecar',
      { flavour: LayerFlavour.Standalone },
      /is the node flavour by its name/,
    ],
    [
      'an architecture',
      'secret-sidecar-standalone-arm64',
      { architecture: lambda.Architecture.X86_64 },
      /is for arm64 by its name, not x86_64/,
    ],
  ])('refuses %s that contradicts the name', (_, name, options, message) => {
    expect(() =>
      SecretSidecarLayer.fromVersionArn(stack(), 'L', `${ACCOUNT_ARN}:${name}:2`, options),
    ).toThrow(message);
  });
});

describe('attachSecretSidecar and the flavour', () => {
  it.each([
    ['python3.12', lambda.Runtime.PYTHON_3_12],
    ['java21', lambda.Runtime.JAVA_21],
    ['provided.al2023', lambda.Runtime.PROVIDED_AL2023],
  ])('refuses the node flavour on %s, naming the standalone flavour to attach', (_, runtime) => {
    const s = stack();
    const layer = new SecretSidecarLayer(s, 'L', { assetPath: dist.layer });
    expect(() => attachSecretSidecar(fn(s, runtime), { layer })).toThrow(
      new RegExp(
        `User/Fn runs ${runtime.name.replace('.', '\\.')}, which has no node: the node flavour .*Extension\\.LaunchError.*flavour: 'standalone', architecture: Architecture\\.ARM_64`,
      ),
    );
  });

  it('refuses an imported node-flavour ARN on a Python function', () => {
    const s = stack();
    const layer = SecretSidecarLayer.fromVersionArn(s, 'L', `${ACCOUNT_ARN}:secret-sidecar:7`);
    expect(() => attachSecretSidecar(fn(s, lambda.Runtime.PYTHON_3_13), { layer })).toThrow(
      /runs python3\.13, which has no node: the node flavour/,
    );
  });

  it('refuses a plain layer ARN of unknown flavour on a non-Node runtime', () => {
    const s = stack();
    const layer = lambda.LayerVersion.fromLayerVersionArn(s, 'L', `${ACCOUNT_ARN}:mystery:1`);
    expect(() => attachSecretSidecar(fn(s, lambda.Runtime.RUBY_3_4), { layer })).toThrow(
      /the flavour of layer .*mystery:1 is unknown: import it with SecretSidecarLayer\.fromVersionArn/,
    );
  });

  it('reads the flavour of a plain layer ARN from our published name', () => {
    const s = stack();
    const arn = `${ACCOUNT_ARN}:secret-sidecar:3`;
    const layer = lambda.LayerVersion.fromLayerVersionArn(s, 'L', arn);
    expect(() => attachSecretSidecar(fn(s, lambda.Runtime.DOTNET_8), { layer })).toThrow(
      /runs dotnet8, which has no node/,
    );
  });

  it('accepts a plain layer of unknown flavour on a Node.js runtime', () => {
    const s = stack();
    const arn = `${ACCOUNT_ARN}:mystery:1`;
    const layer = lambda.LayerVersion.fromLayerVersionArn(s, 'L', arn);
    attachSecretSidecar(fn(s, lambda.Runtime.NODEJS_22_X), { layer });
    Template.fromStack(s).hasResourceProperties('AWS::Lambda::Function', { Layers: [arn] });
  });

  it('attaches an imported standalone ARN of the same architecture to a Python function', () => {
    const s = stack();
    const arn = `${ACCOUNT_ARN}:secret-sidecar-standalone-arm64:5`;
    const layer = SecretSidecarLayer.fromVersionArn(s, 'L', arn);
    attachSecretSidecar(fn(s, lambda.Runtime.PYTHON_3_12), { layer });
    Template.fromStack(s).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'python3.12',
      Layers: [arn],
    });
  });

  it('refuses a standalone layer built for the other architecture', () => {
    const s = stack();
    const layer = new SecretSidecarLayer(s, 'L', {
      flavour: LayerFlavour.Standalone,
      architecture: lambda.Architecture.X86_64,
      assetPath: dist.layer,
    });
    expect(() => attachSecretSidecar(fn(s, lambda.Runtime.PYTHON_3_12), { layer })).toThrow(
      /runs on arm64, but the standalone layer is built for x86_64: use the secret-sidecar-standalone-arm64 layer/,
    );
  });

  it('attaches a standalone layer to any runtime aws-cdk-lib knows, listed or not', () => {
    const s = stack();
    const layer = new SecretSidecarLayer(s, 'L', {
      flavour: LayerFlavour.Standalone,
      assetPath: dist.layer,
    });
    expect(STANDALONE_FLAVOUR_RUNTIMES).not.toContain(lambda.Runtime.PYTHON_3_15);
    expect(() => attachSecretSidecar(fn(s, lambda.Runtime.PYTHON_3_15), { layer })).not.toThrow();
  });

  it('refuses a container-image function, pointing at the Dockerfile lines', () => {
    const s = stack();
    const image = new lambda.Function(s, 'Img', {
      runtime: lambda.Runtime.FROM_IMAGE,
      handler: lambda.Handler.FROM_IMAGE,
      code: lambda.Code.fromEcrImage(ecr.Repository.fromRepositoryName(s, 'R', 'app')),
    });
    const layer = new SecretSidecarLayer(s, 'L', { assetPath: dist.layer });
    expect(() => attachSecretSidecar(image, { layer })).toThrow(
      /is a container image, and images take no layers: COPY the layer into \/opt/,
    );
  });
});

describe("attachSecretSidecar and AWS's Parameters and Secrets extension", () => {
  const paramsAndSecrets = lambda.ParamsAndSecretsLayerVersion.fromVersion(
    lambda.ParamsAndSecretsVersions.V1_0_103,
  );

  it.each([
    ['a region-agnostic stack (FindInMap)', undefined],
    ['a stack in us-east-1 (literal ARN)', { region: 'us-east-1', account: '111122223333' }],
  ])('fails synth when AWS layer shares port 2773, in %s', (_, env) => {
    const s = stack(env);
    const f = fn(s, lambda.Runtime.NODEJS_22_X, lambda.Architecture.ARM_64, { paramsAndSecrets });
    attachSecretSidecar(f, { layer: new SecretSidecarLayer(s, 'L', { assetPath: dist.layer }) });
    expect(() => Template.fromStack(s)).toThrow(
      /User\/Fn also carries AWS's Parameters and Secrets extension, on port 2773 where secret-sidecar serves: two extensions cannot bind 127\.0\.0\.1:2773/,
    );
  });

  it('also when AWS layer is added after secret-sidecar', () => {
    const s = stack();
    const f = fn(s, lambda.Runtime.NODEJS_22_X);
    attachSecretSidecar(f, { layer: new SecretSidecarLayer(s, 'L', { assetPath: dist.layer }) });
    f.addLayers(
      lambda.LayerVersion.fromLayerVersionArn(
        s,
        'Aws',
        'arn:aws:lambda:eu-west-1:015030872274:layer:AWS-Parameters-and-Secrets-Lambda-Extension:17',
      ),
    );
    expect(() => Template.fromStack(s)).toThrow(/two extensions cannot bind 127\.0\.0\.1:2773/);
  });

  it('allows both on different ports', () => {
    const s = stack();
    const f = fn(s, lambda.Runtime.NODEJS_22_X, lambda.Architecture.ARM_64, { paramsAndSecrets });
    attachSecretSidecar(f, {
      layer: new SecretSidecarLayer(s, 'L', { assetPath: dist.layer }),
      httpPort: 2775,
    });
    expect(() => Template.fromStack(s)).not.toThrow();
  });

  it("fails synth when AWS's port variable points somewhere secret-sidecar does not serve", () => {
    const s = stack();
    const f = fn(s, lambda.Runtime.NODEJS_22_X, lambda.Architecture.ARM_64, {
      environment: { PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '2800' },
    });
    attachSecretSidecar(f, { layer: new SecretSidecarLayer(s, 'L', { assetPath: dist.layer }) });
    expect(() => Template.fromStack(s)).toThrow(
      /sets PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=2800, but secret-sidecar serves on port 2773: .*Set httpPort: 2800/,
    );
  });

  it("accepts AWS's port variable when it names secret-sidecar's port", () => {
    const s = stack();
    const f = fn(s, lambda.Runtime.NODEJS_22_X, lambda.Architecture.ARM_64, {
      environment: { PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '2773' },
    });
    attachSecretSidecar(f, { layer: new SecretSidecarLayer(s, 'L', { assetPath: dist.layer }) });
    expect(() => Template.fromStack(s)).not.toThrow();
  });
});
