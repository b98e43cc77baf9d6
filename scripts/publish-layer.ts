/**
 * `make publish-layer`: publishes the built layers into the caller's account and region with
 * the AWS SDK (`PublishLayerVersion`), one layer name per flavour, and optionally shares
 * each new version (`AddLayerVersionPermission`) with an organisation or a list of accounts.
 * Prints the new ARNs as text, or as JSON with `--json`, and writes the JSON to
 * `dist/published-layers.json` for scripts. Credentials and region come from the SDK's
 * usual chain (`AWS_PROFILE`, `AWS_REGION`, ...); `AWS_ENDPOINT_URL_LAMBDA` points it at
 * moto in tests.
 *
 *   npx tsx scripts/publish-layer.ts [--flavour node|standalone-x86_64|standalone-arm64]...
 *       [--organization o-abc123def4] [--accounts 111122223333,444455556666] [--dist dist] [--json]
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  AddLayerVersionPermissionCommand,
  type Architecture,
  LambdaClient,
  PublishLayerVersionCommand,
  type Runtime,
} from '@aws-sdk/client-lambda';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  LAYER_LICENSE,
  LayerFlavour,
  layerDescription,
  layerName,
  NODE_FLAVOUR_RUNTIMES,
  STANDALONE_FLAVOUR_RUNTIMES,
} from '../cdk/src/layer-flavour.ts';
import { toSidecarError } from '../shared/aws-errors.ts';
import { ConfigError, type ConfigIssue, SidecarError } from '../shared/errors.ts';
import { buildPaths, ROOT } from './build.ts';
import type { Architecture as BuildArchitecture } from './node-runtime.ts';

/** The layers `make build` produces, by the name `--flavour` takes. */
export const PUBLISHABLE = {
  node: { flavour: LayerFlavour.Node, architecture: undefined, build: undefined },
  'standalone-x86_64': {
    flavour: LayerFlavour.Standalone,
    architecture: lambda.Architecture.X86_64,
    build: 'x86_64',
  },
  'standalone-arm64': {
    flavour: LayerFlavour.Standalone,
    architecture: lambda.Architecture.ARM_64,
    build: 'arm64',
  },
} as const satisfies Record<
  string,
  {
    readonly flavour: LayerFlavour;
    readonly architecture: lambda.Architecture | undefined;
    readonly build: BuildArchitecture | undefined;
  }
>;

/** One of the keys of {@link PUBLISHABLE}. */
export type Publishable = keyof typeof PUBLISHABLE;

/** Who may use the new versions besides the caller's account. */
export type Sharing =
  | { readonly kind: 'none' }
  | { readonly kind: 'organization'; readonly organizationId: string }
  | { readonly kind: 'accounts'; readonly accountIds: readonly string[] };

/** What to publish, parsed from the command line. */
export interface PublishOptions {
  readonly flavours: readonly Publishable[];
  readonly sharing: Sharing;
  /** The `make build` output holding the zips. */
  readonly dist: string;
  readonly json: boolean;
}

/** One published layer version. */
export interface PublishedLayer {
  readonly flavour: Publishable;
  readonly layerName: string;
  readonly layerVersionArn: string;
  readonly version: number;
  readonly compatibleRuntimes: readonly string[];
  readonly compatibleArchitectures: readonly string[];
  /** The statement ids of the permissions added to this version. */
  readonly sharedWith: readonly string[];
}

const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const ACCOUNT_ID = /^\d{12}$/;

/**
 * Parses and validates the command line, reporting every problem at once.
 *
 * @throws {ConfigError} naming each bad option and what it allows.
 */
export function parsePublishOptions(argv: readonly string[]): PublishOptions {
  const issues: ConfigIssue[] = [];
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        flavour: { type: 'string', multiple: true },
        organization: { type: 'string' },
        accounts: { type: 'string' },
        dist: { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (cause) {
    throw new ConfigError([
      {
        variable: 'arguments',
        problem: `${(cause as Error).message}; allowed: --flavour, --organization, --accounts, --dist, --json`,
      },
    ]);
  }
  const given = (values.flavour as string[] | undefined) ?? [];
  const names = Object.keys(PUBLISHABLE);
  for (const f of given) {
    if (!names.includes(f)) {
      issues.push({ variable: '--flavour', problem: `is "${f}"; allowed: ${names.join(', ')}` });
    }
  }
  const organizationId = values.organization as string | undefined;
  const accounts = values.accounts as string | undefined;
  let sharing: Sharing = { kind: 'none' };
  if (organizationId !== undefined && accounts !== undefined) {
    issues.push({
      variable: '--organization',
      problem: 'and --accounts are exclusive: share with an organisation or with accounts',
    });
  } else if (organizationId !== undefined) {
    if (!ORGANIZATION_ID.test(organizationId)) {
      issues.push({
        variable: '--organization',
        problem: `is "${organizationId}"; allowed: an organisation id, o- and 10 to 32 lowercase letters or digits`,
      });
    }
    sharing = { kind: 'organization', organizationId };
  } else if (accounts !== undefined) {
    const accountIds = accounts.split(',').map((a) => a.trim());
    const bad = accountIds.filter((a) => !ACCOUNT_ID.test(a));
    if (bad.length > 0 || accountIds.length === 0) {
      issues.push({
        variable: '--accounts',
        problem: `has ${bad.map((b) => `"${b}"`).join(', ') || 'no account'}; allowed: comma-separated 12-digit account ids`,
      });
    }
    sharing = { kind: 'accounts', accountIds: [...new Set(accountIds)] };
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    flavours: given.length > 0 ? [...new Set(given as Publishable[])] : (names as Publishable[]),
    sharing,
    dist: resolve((values.dist as string | undefined) ?? join(ROOT, 'dist')),
    json: values.json === true,
  };
}

/** The zip `make build` wrote for a flavour. */
export function zipOf(dist: string, flavour: Publishable): string {
  const paths = buildPaths(dist);
  const { build } = PUBLISHABLE[flavour];
  return build === undefined ? paths.layerZip : paths.standalone(build).zip;
}

/** Lambda's limit on a zip uploaded in the request (larger ones must go through S3). */
export const DIRECT_UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024;

/** Publishes each chosen flavour and shares it; resolves to what was published, in order. */
export async function publishLayers(
  client: LambdaClient,
  options: PublishOptions,
): Promise<PublishedLayer[]> {
  const zips = options.flavours.map((flavour) => ({ flavour, zip: zipOf(options.dist, flavour) }));
  for (const { zip } of zips) {
    const size = (await stat(zip).catch(() => undefined))?.size;
    if (size === undefined) throw new Error(`${zip} does not exist: run \`make build\` first`);
    if (size > DIRECT_UPLOAD_LIMIT_BYTES) {
      throw new Error(`${zip} is ${size} bytes, over Lambda's 50 MiB direct-upload limit`);
    }
  }
  const published: PublishedLayer[] = [];
  for (const { flavour, zip } of zips) {
    const { flavour: kind, architecture } = PUBLISHABLE[flavour];
    const name = layerName(kind, architecture);
    const compatibleRuntimes = (
      kind === LayerFlavour.Node ? NODE_FLAVOUR_RUNTIMES : STANDALONE_FLAVOUR_RUNTIMES
    ).map((r) => r.name);
    const compatibleArchitectures =
      architecture === undefined
        ? [lambda.Architecture.X86_64.name, lambda.Architecture.ARM_64.name]
        : [architecture.name];
    const zipFile = await readFile(zip);
    const out = await lambdaCall('PublishLayerVersion', name, published, () =>
      client.send(
        new PublishLayerVersionCommand({
          LayerName: name,
          Description: layerDescription(architecture),
          LicenseInfo: LAYER_LICENSE,
          Content: { ZipFile: zipFile },
          CompatibleRuntimes: compatibleRuntimes as Runtime[],
          CompatibleArchitectures: compatibleArchitectures as Architecture[],
        }),
      ),
    );
    if (out.LayerVersionArn === undefined || out.Version === undefined) {
      throw new Error(`PublishLayerVersion for ${name} answered without a version ARN`);
    }
    const sharedWith = await share(client, name, out.Version, options.sharing, published);
    published.push({
      flavour,
      layerName: name,
      layerVersionArn: out.LayerVersionArn,
      version: out.Version,
      compatibleRuntimes,
      compatibleArchitectures,
      sharedWith,
    });
  }
  return published;
}

async function share(
  client: LambdaClient,
  name: string,
  version: number,
  sharing: Sharing,
  published: readonly PublishedLayer[],
): Promise<string[]> {
  const grants =
    sharing.kind === 'organization'
      ? [
          {
            StatementId: `organization-${sharing.organizationId}`,
            Principal: '*',
            OrganizationId: sharing.organizationId,
          },
        ]
      : sharing.kind === 'accounts'
        ? sharing.accountIds.map((id) => ({ StatementId: `account-${id}`, Principal: id }))
        : [];
  for (const grant of grants) {
    await lambdaCall(
      `AddLayerVersionPermission (${grant.StatementId})`,
      `${name}:${version}`,
      published,
      () =>
        client.send(
          new AddLayerVersionPermissionCommand({
            LayerName: name,
            VersionNumber: version,
            Action: 'lambda:GetLayerVersion',
            ...grant,
          }),
        ),
    );
  }
  return grants.map((g) => g.StatementId);
}

/** A failed Lambda call, with the layers published before it (they stay published). */
export class PublishError extends SidecarError {
  readonly published: readonly PublishedLayer[];

  constructor(cause: SidecarError, published: readonly PublishedLayer[]) {
    super(cause.code, cause.message, { cause, errorType: cause.errorType });
    this.name = 'PublishError';
    this.published = [...published];
  }
}

/** Runs one Lambda call; its failure is mapped once (shared/aws-errors.ts) and says what was already published. */
async function lambdaCall<T>(
  operation: string,
  subject: string,
  published: readonly PublishedLayer[],
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new PublishError(
      toSidecarError(err, { service: 'Lambda', operation, subject }),
      published,
    );
  }
}

/** The text form: one `flavour  ARN` line per layer. */
export function formatText(published: readonly PublishedLayer[]): string {
  return published
    .map(
      (p) =>
        `${p.flavour.padEnd(18)} ${p.layerVersionArn}${p.sharedWith.length > 0 ? `  (shared: ${p.sharedWith.join(', ')})` : ''}\n`,
    )
    .join('');
}

async function main(): Promise<void> {
  let options: PublishOptions;
  try {
    options = parsePublishOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`publish-layer: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  let published: PublishedLayer[];
  try {
    published = await publishLayers(new LambdaClient({}), options);
  } catch (err) {
    if (!(err instanceof PublishError)) throw err;
    if (err.published.length > 0) {
      process.stdout.write(`published before the failure:\n${formatText(err.published)}`);
    }
    process.stderr.write(`publish-layer: ${err.message}\n`);
    process.exitCode = 1;
    return;
  }
  const json = `${JSON.stringify({ layers: published }, null, 2)}\n`;
  await writeFile(join(options.dist, 'published-layers.json'), json);
  process.stdout.write(options.json ? json : formatText(published));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
