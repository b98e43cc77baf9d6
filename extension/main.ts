/**
 * Entry point of the secret-sidecar Lambda extension. Only wires the parts:
 * crash handlers → config → ports → prefetch (bounded) → files → HTTP server →
 * register → event loop; in the `parallel` init mode the prefetch moves after register.
 *
 * Run by the launcher `extensions/secret-sidecar` as
 * `node index.mjs --name <file name>`; the name registered must equal the file name.
 */

import { systemClock } from '../shared/clock.ts';
import { crashLine, installCrashHandlers } from '../shared/crash.ts';
import { messageOf, SidecarError } from '../shared/errors.ts';
import { Logger } from '../shared/logger.ts';
import { Metrics } from '../shared/metrics.ts';
import { globalRedactor } from '../shared/redact.ts';
import { EXTENSION_NAME } from '../shared/sidecar-protocol.ts';
import { lazyParameterSource, lazySecretSource } from './aws-sources.ts';
import { type ExtensionConfig, InitMode, loadConfig } from './config.ts';
import { FileSink } from './file-sink.ts';
import { ExtensionsApiClient, LAUNCHER_REGISTRATION_ENV } from './lambda-api.ts';
import { Lifecycle } from './lifecycle.ts';
import { InvokeRefresher } from './refresher.ts';
import { SidecarServer } from './server.ts';
import { SecretStore } from './store.ts';
import { TokenGuard } from './token.ts';

const SERVICE = 'secret-sidecar';

async function main(): Promise<void> {
  const env = process.env;
  // Before anything can fail: credentials are masked and no crash prints raw text.
  globalRedactor.register(env.AWS_SESSION_TOKEN);
  globalRedactor.register(env.AWS_CONTAINER_AUTHORIZATION_TOKEN);
  globalRedactor.register(env.AWS_SECRET_ACCESS_KEY);
  installCrashHandlers({ redactor: globalRedactor, service: SERVICE });
  const name = argValue(process.argv, '--name') ?? EXTENSION_NAME;
  const boot = new Logger({ service: SERVICE, component: 'lifecycle' });
  // Warnings go through the configured logger (and its level) once there is one.
  let warnings = boot;
  process.on('warning', (w) => warnings.warn('node warning', { name: w.name, warning: w.message }));

  const runtimeApi = env.AWS_LAMBDA_RUNTIME_API;
  if (!runtimeApi) {
    boot.error('AWS_LAMBDA_RUNTIME_API is not set; not running inside Lambda');
    process.exit(1);
  }
  const api = new ExtensionsApiClient(runtimeApi);
  // The launcher registered already (parallel init mode, default events).
  const launcherId = env[LAUNCHER_REGISTRATION_ENV];
  if (launcherId) api.adopt(launcherId);

  let config: Readonly<ExtensionConfig>;
  try {
    config = loadConfig(env);
  } catch (err) {
    await failInit(api, name, boot, err);
    return;
  }

  const log = new Logger({ service: SERVICE, component: 'lifecycle', level: config.logLevel });
  warnings = log;
  if (config.awsSettings.length > 0) {
    log.info('AWS Parameters and Secrets extension settings', { honoured: config.awsSettings });
  }
  const metrics = new Metrics({ dimensions: { FunctionName: config.functionName } });
  const sink = config.files ? new FileSink(config.dir) : undefined;
  const secretSource = lazySecretSource({
    timeoutMs: config.secretsTimeoutMs,
    maxConnections: config.upstreamMaxConnections,
  });
  const parameterSource = lazyParameterSource({
    timeoutMs: config.parametersTimeoutMs,
    maxConnections: config.upstreamMaxConnections,
  });
  const invokeEvents = config.events.includes('INVOKE');
  const store = new SecretStore({
    config,
    secretSource,
    parameterSource,
    sink,
    clock: systemClock,
    logger: log,
    metrics,
    redactor: globalRedactor,
    refreshAheadOnRead: !invokeEvents,
  });
  const server = new SidecarServer({
    store,
    token: new TokenGuard(config.token),
    logger: log,
    maxConnections: config.maxConnections,
  });
  const refresher = new InvokeRefresher({
    store,
    clock: systemClock,
    logger: log,
    maxWaitMs: Math.max(config.secretsTimeoutMs, config.parametersTimeoutMs) * 2,
  });

  try {
    await sink?.prepare();
  } catch (err) {
    await failInit(api, name, log, err);
    return;
  }
  // before-runtime: the values (and files) are there before the runtime starts.
  const parallel = config.initMode === InitMode.Parallel;
  if (!parallel) await store.prefetch(config.prefetchTimeoutMs);
  try {
    await server.listen(config.httpPort);
  } catch (err) {
    await failInit(api, name, log, err);
    return;
  }

  const lifecycle = new Lifecycle({
    next: () => api.next(),
    onInvoke: (deadlineMs) => refresher.onInvoke(deadlineMs),
    flush: () => metrics.flush(),
    close: (graceMs) => server.close(graceMs),
    exit: (code) => process.exit(code),
    clock: systemClock,
    logger: log,
  });
  const onSignal = (signal: string) => {
    log.info('signal received', { signal });
    lifecycle.shutdown(Date.now() + 500).catch(() => process.exit(0));
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));

  try {
    const reg = launcherId ? undefined : await api.register(name, config.events);
    log.info('registered', {
      name,
      events: config.events,
      by: launcherId ? 'launcher' : 'extension',
      functionName: reg?.functionName,
      secrets: config.secrets.length,
      parameters: config.parameters.length,
      initMode: config.initMode,
    });
  } catch (err) {
    log.error('registration failed', { error: messageOf(err) });
    process.exit(1);
  }
  // parallel: the runtime initialises meanwhile; reads that arrive now wait on this fetch.
  // Either way the first `event/next` (the end of this extension's init) comes after it.
  if (parallel) await store.prefetch(config.prefetchTimeoutMs);
  await lifecycle.run();
}

/** Registers (init/error needs an identifier), reports the failure and exits 1. */
async function failInit(
  api: ExtensionsApiClient,
  name: string,
  log: Logger,
  err: unknown,
): Promise<void> {
  // A specific Extension.* type (ConfigInvalid, PortUnavailable, ...) wins over the generic one.
  const errorType =
    err instanceof SidecarError && err.errorType.startsWith('Extension.')
      ? err.errorType
      : err instanceof SidecarError && err.code === 'CONFIG_INVALID'
        ? 'Extension.ConfigInvalid'
        : 'Extension.InitFailed';
  const errorMessage = globalRedactor.redactString(messageOf(err));
  log.error('initialisation failed', { errorType, error: errorMessage });
  try {
    if (api.extensionId === undefined) await api.register(name, ['SHUTDOWN']);
    await api.initError({ errorMessage, errorType });
  } catch (reportErr) {
    log.error('could not report the init error', { error: messageOf(reportErr) });
  }
  process.exit(1);
}

function argValue(argv: readonly string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  const v = i === -1 ? undefined : argv[i + 1];
  return v === undefined || v === '' ? undefined : v;
}

main().catch((err: unknown) => {
  process.stderr.write(`${crashLine(globalRedactor, SERVICE, 'secret-sidecar crashed', err)}\n`);
  process.exit(1);
});
