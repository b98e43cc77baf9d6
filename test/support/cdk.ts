/**
 * Test helpers for the CDK stack: stand-in build output (so synth does not
 * depend on `make build` having run) and one-call synthesis with cdk-nag on.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import type { RotatedApiKey } from '../../cdk/src/rotated-api-key.ts';
import { applyAwsSolutionsChecks } from '../../deploy/nag.ts';
import {
  SecretSidecarStack,
  type SecretSidecarStackProps,
} from '../../deploy/secret-sidecar-stack.ts';
import { ROOT as REPO_ROOT } from '../../scripts/build.ts';

/** A temp folder shaped like `dist/`: layer tree with an executable launcher, two bundles. */
export interface FakeDist {
  readonly dir: string;
  readonly layer: string;
  readonly rotation: string;
  readonly inference: string;
  readonly inferenceStream: string;
  cleanup(): void;
}

/** Writes a tiny but well-formed `dist/` into a temp folder. */
export function makeFakeDist(): FakeDist {
  const dir = mkdtempSync(join(tmpdir(), 'cdk-dist-'));
  const layer = join(dir, 'layer');
  mkdirSync(join(layer, 'extensions'), { recursive: true });
  mkdirSync(join(layer, 'secret-sidecar'), { recursive: true });
  const launcher = join(layer, 'extensions', 'secret-sidecar');
  writeFileSync(launcher, '#!/bin/bash\nexec node "$(dirname "$0")/../secret-sidecar/index.mjs"\n');
  chmodSync(launcher, 0o755);
  writeFileSync(join(layer, 'secret-sidecar', 'index.mjs'), 'export {};\n');
  for (const fn of ['rotation', 'inference', 'inference-stream']) {
    mkdirSync(join(dir, fn));
    writeFileSync(join(dir, fn, 'index.mjs'), `export const handler = async () => '${fn}';\n`);
  }
  return {
    dir,
    layer,
    rotation: join(dir, 'rotation'),
    inference: join(dir, 'inference'),
    inferenceStream: join(dir, 'inference-stream'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A synthesized stack with its template and the cdk-nag report. */
export interface Synthesized {
  readonly app: App;
  readonly stack: SecretSidecarStack;
  readonly template: Template;
  /** Rule violations cdk-nag reported (after acknowledgements). */
  readonly nagViolations: readonly unknown[];
}

/** The context `cdk.json` gives the app (the recommended feature flags among it). */
export function cdkJsonContext(): Record<string, unknown> {
  return (
    JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
      context: Record<string, unknown>;
    }
  ).context;
}

/** Synthesizes a {@link SecretSidecarStack} with cdk-nag and cdk.json's context, as the app does. */
export function synthStack(
  dist: FakeDist,
  props: Omit<SecretSidecarStackProps, 'assets'>,
): Synthesized {
  const outdir = join(dist.dir, `out-${Math.random().toString(36).slice(2)}`);
  const app = new App({ outdir, context: cdkJsonContext() });
  applyAwsSolutionsChecks(app);
  const stack = new SecretSidecarStack(app, 'Test', {
    ...props,
    assets: {
      layer: dist.layer,
      rotation: lambda.Code.fromAsset(dist.rotation),
      inference: lambda.Code.fromAsset(dist.inference),
      inferenceStream: lambda.Code.fromAsset(dist.inferenceStream),
    },
  });
  app.synth();
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { violations?: unknown[] }[];
  };
  return {
    app,
    stack,
    template: Template.fromStack(stack),
    nagViolations: report.pluginReports.flatMap((r) => r.violations ?? []),
  };
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const child = construct.node.defaultChild as CfnElement | undefined;
  const element = child ?? (construct as CfnElement);
  return Stack.of(construct).getLogicalId(element);
}

/** `{ Ref: <logical id> }`. */
export function ref(construct: IConstruct): { Ref: string } {
  return { Ref: logicalId(construct) };
}

/** `{ 'Fn::GetAtt': [<logical id>, attr] }`. */
export function getAtt(construct: IConstruct, attr: string): { 'Fn::GetAtt': [string, string] } {
  return { 'Fn::GetAtt': [logicalId(construct), attr] };
}

/** The statements of every policy attached to a role, in order. */
export function roleStatements(template: Template, roleLogicalId: string): unknown[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) =>
      (p.Properties.Roles as unknown[]).some(
        (r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId }),
      ),
    )
    .flatMap((p) => p.Properties.PolicyDocument.Statement as unknown[]);
}

/** `secretsmanager.<region>.amazonaws.com` as the template renders it. */
export const VIA_SECRETS_MANAGER = {
  'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
};

/** The rotation role's statement that lets it write its own log group. */
export function writeOwnLogsStatement(key: RotatedApiKey): Record<string, unknown> {
  return {
    Sid: 'WriteOwnLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: getAtt(key.logGroup, 'Arn'),
  };
}

/** The rotation role's statement that lets it rotate its own secret (and no other). */
export function rotateOwnSecretStatement(key: RotatedApiKey): Record<string, unknown> {
  return {
    Sid: 'RotateOwnSecret',
    Effect: 'Allow',
    Action: [
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
    ],
    Resource: ref(key.secret),
  };
}

/** The rotation role's use of the key, only via Secrets Manager and only for `secrets`. */
export function useKeyViaSecretsManagerStatement(
  key: RotatedApiKey,
  secrets: readonly IConstruct[],
): Record<string, unknown> {
  return {
    Sid: 'UseKeyViaSecretsManager',
    Effect: 'Allow',
    Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
    Resource: getAtt(key.key, 'Arn'),
    Condition: {
      StringEquals: {
        'kms:ViaService': VIA_SECRETS_MANAGER,
        'kms:EncryptionContext:SecretARN': secrets.map((s) => ref(s)),
      },
    },
  };
}
