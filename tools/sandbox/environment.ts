/**
 * Builds the environments Lambda gives its processes. Nothing of the calling process's
 * environment leaks in: PATH is Lambda's, so a process finds a `node` only where a Lambda
 * runtime image would have one (a Python function has none).
 */
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import type { SandboxCredentials } from './types.ts';

/** The PATH of Lambda's managed runtimes (and of AWS's base images). */
export const LAMBDA_PATH = '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin';

/** Everything the environments are made from. */
export interface EnvironmentSpec {
  readonly runtimeApi: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly memorySizeMb: number;
  readonly region: string;
  readonly credentials: SandboxCredentials;
  readonly taskRoot: string;
  readonly handler: string;
  readonly runtimeDir: string;
  /** The function environment set by the caller. */
  readonly functionEnv: Readonly<Record<string, string>>;
  /** PATH of every process. @default {@link LAMBDA_PATH} */
  readonly path?: string;
}

/**
 * Variables Lambda sets for the runtime only (AWS docs, "Extensions API": extensions get
 * the function environment except these; RIE also drops every `_`-prefixed key).
 */
const RUNTIME_ONLY = new Set([
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_XRAY_CONTEXT_MISSING',
  'AWS_XRAY_DAEMON_ADDRESS',
  'LAMBDA_RUNTIME_DIR',
  'LAMBDA_TASK_ROOT',
  '_AWS_XRAY_DAEMON_ADDRESS',
  '_AWS_XRAY_DAEMON_PORT',
  '_HANDLER',
]);

/** Keys Lambda reserves: a function cannot set them (Lambda docs, "Reserved environment variables"). */
export const RESERVED_VARIABLES: ReadonlySet<string> = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

/** Random credentials shaped like temporary STS credentials. */
export function randomCredentials(): SandboxCredentials {
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const id = [...randomBytes(16)].map((b) => alnum[b % alnum.length]).join('');
  return {
    accessKeyId: `ASIA${id}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: randomBytes(96).toString('base64'),
  };
}

function baseEnvironment(spec: EnvironmentSpec): Record<string, string> {
  return {
    PATH: spec.path ?? LAMBDA_PATH,
    HOME: homedir(),
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_LAMBDA_RUNTIME_API: spec.runtimeApi,
    AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: spec.functionVersion,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySizeMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: spec.region,
    AWS_DEFAULT_REGION: spec.region,
    AWS_ACCESS_KEY_ID: spec.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: spec.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: spec.credentials.sessionToken,
  };
}

/** The runtime's environment: Lambda's variables, runtime-only ones, then the function env. */
export function runtimeEnvironment(spec: EnvironmentSpec): Record<string, string> {
  const major = process.versions.node.split('.')[0] ?? '20';
  return {
    ...baseEnvironment(spec),
    AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${major}.x`,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `sandbox/[${spec.functionVersion}]${randomBytes(16).toString('hex')}`,
    LAMBDA_TASK_ROOT: spec.taskRoot,
    LAMBDA_RUNTIME_DIR: spec.runtimeDir,
    _HANDLER: spec.handler,
    ...spec.functionEnv,
  };
}

/** An extension's environment: like the runtime's without the runtime-only variables. */
export function extensionEnvironment(spec: EnvironmentSpec): Record<string, string> {
  const env: Record<string, string> = { ...baseEnvironment(spec) };
  for (const [key, value] of Object.entries(spec.functionEnv)) {
    if (RUNTIME_ONLY.has(key) || key.startsWith('_')) continue;
    env[key] = value;
  }
  return env;
}
