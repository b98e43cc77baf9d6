/**
 * In-process wiring for handler tests: a fake sidecar (real HTTP), the fake OpenAI
 * server (real HTTP, real OpenAI SDK), and loggers/metrics that capture their lines.
 */

import { SidecarClient } from '../../../client/src/client.ts';
import { loadInferenceConfig } from '../../../inference/config.ts';
import type { InferenceDeps } from '../../../inference/handler.ts';
import type { HttpEventV2 } from '../../../inference/http-event.ts';
import { Logger } from '../../../shared/logger.ts';
import { Metrics } from '../../../shared/metrics.ts';
import { Redactor } from '../../../shared/redact.ts';
import { KeyRegistry } from '../../../tools/fakes/key-registry.ts';
import { type OpenAIChatServer, startOpenAIChatServer } from '../../../tools/fakes/openai-chat.ts';
import { FakeSidecar, tempSecretDir } from './fake-sidecar.ts';

/** Everything a handler test needs. */
export interface Harness {
  readonly sidecar: FakeSidecar;
  readonly provider: OpenAIChatServer;
  readonly registry: KeyRegistry;
  readonly logs: string[];
  readonly metrics: string[];
  /** Builds deps; `env` adds or overrides inference variables. */
  deps(env?: Record<string, string>): InferenceDeps;
  /** Sets the provider secret the sidecar serves (as the current version). */
  setKey(versionId: string, apiKey: string, extra?: Record<string, unknown>): void;
  close(): Promise<void>;
}

/** Starts the fakes with `key` valid at the provider (as `keyId`) and served by the sidecar as version `v1`. */
export async function startHarnessWithKey(
  key: string,
  keyId = 'k1',
  options: HarnessOptions = {},
): Promise<Harness> {
  const h = await startHarness(options);
  h.registry.add(key, {}, keyId);
  h.setKey('v1', key);
  return h;
}

/** Options of the fakes. */
export interface HarnessOptions {
  /** Pause between streamed chunks, in ms. @default 0 */
  readonly chunkDelayMs?: number;
}

/** Starts the fakes. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const registry = new KeyRegistry();
  const provider = await startOpenAIChatServer({
    registry,
    ...(options.chunkDelayMs === undefined ? {} : { chunkDelayMs: options.chunkDelayMs }),
  });
  const sidecar = await new FakeSidecar().start();
  const tmp = tempSecretDir();
  const logs: string[] = [];
  const metrics: string[] = [];
  const keyValue = (apiKey: string, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      provider: 'openai',
      apiKey,
      keyId: `id-${apiKey.slice(-4)}`,
      baseURL: provider.url,
      model: 'gpt-4o-mini',
      ...extra,
    });
  return {
    sidecar,
    provider,
    registry,
    logs,
    metrics,
    deps(env = {}) {
      const config = loadInferenceConfig({
        SECRET_SIDECAR_HTTP_PORT: String(sidecar.port),
        SECRET_SIDECAR_DIR: tmp.dir,
        AWS_SESSION_TOKEN: sidecar.token,
        AWS_LAMBDA_FUNCTION_NAME: 'inference-test',
        INFERENCE_PROVIDER_TIMEOUT_MS: '5000',
        ...env,
      });
      const redactor = new Redactor();
      return {
        config,
        secrets: new SidecarClient({
          dir: config.sidecar.dir,
          port: config.sidecar.port,
          token: config.sidecar.token,
          // The handler registers the API key itself; registering the whole JSON would
          // also mask harmless fields such as the model name.
          redactor: false,
        }),
        logger: new Logger({
          service: 'test',
          level: 'debug',
          redactor,
          sink: (l) => logs.push(l),
        }),
        metrics: new Metrics({
          dimensions: { FunctionName: config.functionName },
          sink: (l) => metrics.push(l),
        }),
        redactor,
      };
    },
    setKey(versionId, apiKey, extra) {
      sidecar.secrets.set('provider', { versionId, value: keyValue(apiKey, extra) });
    },
    async close() {
      await sidecar.stop();
      await provider.close();
      tmp.cleanup();
    },
  };
}

/** Default claims of an authorized caller. */
export const CLAIMS = {
  client_id: 'app-client-1',
  sub: 'app-client-1',
  scope: 'openid secret-sidecar/invoke',
};

/** A payload-v2 event as API Gateway's JWT authorizer would hand it over. */
export function apiEvent(
  body: unknown,
  claims: Record<string, unknown> | null = CLAIMS,
): HttpEventV2 {
  return {
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    headers: { 'content-type': 'application/json' },
    requestContext: {
      requestId: 'apigw-req-1',
      http: { method: 'POST' },
      authorizer: claims === null ? undefined : { jwt: { claims, scopes: null } },
    },
  };
}

/** The parsed audit lines among captured log lines. */
export function auditLines(logs: readonly string[]): Record<string, unknown>[] {
  return logs
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.message === 'inference request');
}
