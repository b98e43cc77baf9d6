/**
 * `LambdaSandbox`: a local Lambda execution environment. It launches the extensions and a
 * Node runtime as real process groups, serves the Runtime and Extensions APIs on
 * 127.0.0.1, drives init / invoke / shutdown with Lambda's rules and deadlines, and
 * freezes every process (SIGSTOP) between invocations.
 */
import { resolve } from 'node:path';
import { type ApiServer, type SandboxApi, startApiServer } from './api-server.ts';
import { findExtensions } from './discovery.ts';
import {
  type EnvironmentSpec,
  extensionEnvironment,
  RESERVED_VARIABLES,
  randomCredentials,
  runtimeEnvironment,
} from './environment.ts';
import { SandboxError, SandboxErrorType } from './errors.ts';
import { ExtensionEvent } from './extension-registry.ts';
import { ClosedApi, Generation } from './generation.ts';
import { Invocation, type InvocationOutcome } from './invocation.ts';
import { ProcessGroup } from './process-group.ts';
import { abandonedResult, answeredResult, initFailedResult, timeoutError } from './results.ts';
import { defaultRuntimeCommand } from './runtime-command.ts';
import { ChunkChannel } from './streaming.ts';
import { ShutdownReason, teardown } from './teardown.ts';
import type {
  InitReport,
  InvokeOptions,
  InvokeResult,
  OutputLine,
  RegistrationInfo,
  SandboxCredentials,
  SandboxFailure,
  SandboxOptions,
  ShutdownReport,
  StreamingInvocation,
} from './types.ts';

const FUNCTION_VERSION = '$LATEST';

type Outcome = 'ok' | 'fatal' | 'timeout';

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

/** A local Lambda execution environment. See the module documentation. */
export class LambdaSandbox {
  /** `AWS_SESSION_TOKEN` given to every process (the extension's SSRF token). */
  readonly sessionToken: string;
  readonly #options: SandboxOptions;
  readonly #credentials: SandboxCredentials;
  readonly #output: OutputLine[] = [];
  readonly #failures: SandboxFailure[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #closedApi = new ClosedApi();
  #server: ApiServer | undefined;
  #gen: Generation | undefined;
  #closed = false;
  #frozen = false;
  #lock: Promise<unknown> = Promise.resolve();
  #lastInit: InitReport | undefined;

  constructor(options: SandboxOptions) {
    for (const key of Object.keys(options.env ?? {})) {
      if (RESERVED_VARIABLES.has(key)) {
        throw new SandboxError(
          SandboxErrorType.InvalidOptions,
          `env.${key} is reserved by Lambda and cannot be set; use the sandbox options (region, credentials, functionName, memorySizeMb) instead`,
        );
      }
    }
    for (const key of [
      'timeoutMs',
      'initTimeoutMs',
      'shutdownTimeoutMs',
      'memorySizeMb',
    ] as const) {
      const value = options[key];
      if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
        throw new SandboxError(
          SandboxErrorType.InvalidOptions,
          `${key} must be a positive number, got ${String(value)}`,
        );
      }
    }
    this.#options = { ...options, taskRoot: resolve(options.taskRoot) };
    this.#credentials = options.credentials ?? randomCredentials();
    this.sessionToken = this.#credentials.sessionToken;
  }

  /** `127.0.0.1:<port>` (`AWS_LAMBDA_RUNTIME_API`). Available once `init()` has started. */
  get runtimeApi(): string {
    if (!this.#server) {
      throw new SandboxError(
        SandboxErrorType.InvalidState,
        'runtimeApi is known once init() (or the first invoke) has started',
      );
    }
    return this.#server.address;
  }

  /** Every output line captured so far, in arrival order. */
  get output(): readonly OutputLine[] {
    return this.#output;
  }

  /** True while the processes are SIGSTOPped between invocations. */
  get frozen(): boolean {
    return this.#frozen;
  }

  /** Every failure recorded so far (crashes, init/exit errors, timeouts), oldest first. */
  failures(): readonly SandboxFailure[] {
    return [...this.#failures];
  }

  /** Successful registrations of the current execution environment. */
  registrations(): RegistrationInfo[] {
    return (this.#gen?.registry.all() ?? []).map((r) => ({
      name: r.name,
      events: [...r.events],
      registeredAtMs: r.registeredAt,
    }));
  }

  /** Live processes of the current execution environment (for RSS measurement). */
  pids(): { source: string; pid: number }[] {
    return (this.#gen?.liveProcesses() ?? []).map((p) => ({ source: p.source, pid: p.pid }));
  }

  /**
   * Runs the init phase (or returns the report of the one already done). Rejects with a
   * {@link SandboxError} carrying Lambda's error type; the sandbox is then reset.
   */
  init(): Promise<InitReport> {
    return this.#exclusive(async () => {
      this.#assertOpen();
      if (this.#gen?.fatal) await this.#reset(ShutdownReason.Failure);
      if (this.#gen?.initDone && this.#lastInit) return this.#lastInit;
      return this.#initialize();
    });
  }

  /**
   * Invokes the function and resolves once the invocation is complete: the runtime answered
   * and every INVOKE-subscribed extension called `/next` again (then the sandbox freezes).
   * Use `opts.onResponse` to observe the response at the moment Lambda would return it.
   */
  invoke(payload: unknown, opts: InvokeOptions = {}): Promise<InvokeResult> {
    return this.#exclusive(() => this.#invoke(payload, opts, () => undefined));
  }

  /** Invokes the function and yields the response body as the runtime streams it. */
  async invokeStream(payload: unknown, opts: InvokeOptions = {}): Promise<StreamingInvocation> {
    let handOut: (invocation: Invocation | undefined) => void = () => undefined;
    const handed = new Promise<Invocation | undefined>((r) => {
      handOut = r;
    });
    const done = this.#exclusive(() => this.#invoke(payload, opts, handOut));
    const invocation = await Promise.race([handed, done.then(() => undefined)]);
    if (!invocation) {
      const empty = new ChunkChannel();
      empty.end();
      return { chunks: empty, done };
    }
    await invocation.started;
    return {
      ...(invocation.prelude ? { prelude: invocation.prelude } : {}),
      chunks: invocation.chunks,
      done,
    };
  }

  /** Waits `ms` of wall-clock time; the processes stay frozen meanwhile. */
  async idle(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
  }

  /**
   * Shuts the execution environment down (SHUTDOWN with `reason`, default `spindown`) and
   * stops the API server. Always kills every process; safe to call more than once.
   */
  shutdown(reason: string = ShutdownReason.Spindown): Promise<ShutdownReport> {
    return this.#exclusive(async () => {
      const report = this.#gen
        ? await this.#reset(reason)
        : { reason, durationMs: 0, extensions: [], problems: [] };
      this.#closed = true;
      await this.#server?.close();
      this.#server = undefined;
      return report;
    });
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(work, work);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new SandboxError(SandboxErrorType.InvalidState, 'the sandbox has been shut down');
    }
  }

  #changed(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /** Waits until `done()` holds, the generation fails, or `deadline` (epoch ms) passes. */
  async #until(gen: Generation, done: () => boolean, deadline: number): Promise<Outcome> {
    for (;;) {
      if (done()) return 'ok';
      if (gen.fatal) return 'fatal';
      const remaining = deadline - Date.now();
      if (remaining <= 0) return 'timeout';
      await new Promise<void>((wake) => {
        const finish = (): void => {
          clearTimeout(timer);
          this.#waiters.delete(finish);
          wake();
        };
        const timer = setTimeout(finish, remaining);
        this.#waiters.add(finish);
      });
    }
  }

  #record(failure: SandboxFailure): void {
    this.#failures.push(failure);
  }

  #onLine(source: string, stream: 'stdout' | 'stderr', line: string): void {
    const entry: OutputLine = { source, stream, line, time: Date.now() };
    this.#output.push(entry);
    this.#options.onOutput?.(entry);
    if (this.#options.echoOutput) process.stderr.write(`[${source}] ${line}\n`);
  }

  async #freeze(): Promise<void> {
    if (this.#options.freeze === false || !this.#gen) return;
    await Promise.all(this.#gen.liveProcesses().map((p) => p.freeze()));
    this.#frozen = true;
  }

  #thaw(): void {
    for (const p of this.#gen?.liveProcesses() ?? []) p.thaw();
    this.#frozen = false;
  }

  async #reset(reason: string): Promise<ShutdownReport> {
    const gen = this.#gen;
    if (!gen) return { reason, durationMs: 0, extensions: [], problems: [] };
    const before = this.#failures.length;
    this.#frozen = false;
    const report = await teardown(gen, reason, this.#options.shutdownTimeoutMs ?? 2000, () =>
      this.#failures.slice(before),
    );
    this.#gen = undefined;
    return report;
  }

  #environmentSpec(runtimeDir: string, runtimeApi: string): EnvironmentSpec {
    return {
      runtimeApi,
      functionName: this.#functionName,
      functionVersion: FUNCTION_VERSION,
      memorySizeMb: this.#options.memorySizeMb ?? 128,
      region: this.#region,
      credentials: this.#credentials,
      taskRoot: this.#options.taskRoot,
      handler: this.#options.handler,
      runtimeDir,
      functionEnv: this.#options.env ?? {},
      ...(this.#options.path === undefined ? {} : { path: this.#options.path }),
    };
  }

  get #functionName(): string {
    return this.#options.functionName ?? 'sandbox-function';
  }

  get #region(): string {
    return this.#options.region ?? 'us-east-1';
  }

  get #functionArn(): string {
    const account = this.#options.accountId ?? '123456789012';
    return `arn:aws:lambda:${this.#region}:${account}:function:${this.#functionName}`;
  }

  async #ensureServer(): Promise<ApiServer> {
    if (this.#server) return this.#server;
    const routes: SandboxApi = {
      register: (...a) => (this.#gen ?? this.#closedApi).register(...a),
      extensionNext: (...a) => (this.#gen ?? this.#closedApi).extensionNext(...a),
      extensionError: (...a) => (this.#gen ?? this.#closedApi).extensionError(...a),
      runtimeNext: (...a) => (this.#gen ?? this.#closedApi).runtimeNext(...a),
      runtimeResponse: (...a) => (this.#gen ?? this.#closedApi).runtimeResponse(...a),
      runtimeError: (...a) => (this.#gen ?? this.#closedApi).runtimeError(...a),
      runtimeInitError: (...a) => (this.#gen ?? this.#closedApi).runtimeInitError(...a),
    };
    this.#server = await startApiServer(routes);
    return this.#server;
  }

  async #initialize(): Promise<InitReport> {
    const server = await this.#ensureServer();
    const startedAt = Date.now();
    const deadline = startedAt + (this.#options.initTimeoutMs ?? 10_000);
    const runtimeCommand = this.#options.runtimeCommand
      ? { argv: this.#options.runtimeCommand, runtimeDir: this.#options.taskRoot }
      : defaultRuntimeCommand();
    const spec = this.#environmentSpec(runtimeCommand.runtimeDir, server.address);
    const files = await findExtensions(this.#options.extensionsDir);
    const gen = new Generation(
      files.map((f) => f.name),
      {
        functionName: this.#functionName,
        functionVersion: FUNCTION_VERSION,
        handler: this.#options.handler,
        accountId: this.#options.accountId ?? '123456789012',
      },
      { onChange: () => this.#changed(), onFailure: (f) => this.#record(f) },
    );
    this.#gen = gen;

    const fail = async (outcome: Outcome, phase: string): Promise<never> => {
      const failure =
        outcome === 'timeout'
          ? gen.fail(
              'sandbox',
              SandboxErrorType.Timedout,
              `Init timed out after ${seconds(deadline - startedAt)} seconds (${phase})`,
            )
          : (gen.fatal as SandboxFailure);
      await this.#reset(outcome === 'timeout' ? ShutdownReason.Timeout : ShutdownReason.Failure);
      throw new SandboxError(failure.errorType, `${failure.source}: ${failure.message}`);
    };

    const notExecutable = files.find((f) => !f.executable);
    if (notExecutable) {
      gen.fail(
        `extension:${notExecutable.name}`,
        SandboxErrorType.ExtensionLaunchError,
        `${notExecutable.path} is not executable (chmod +x it)`,
      );
      return fail('fatal', 'launch');
    }
    const extensionEnv = extensionEnvironment(spec);
    for (const file of files) {
      const source = `extension:${file.name}`;
      try {
        const process = await ProcessGroup.spawn({
          source,
          command: file.path,
          env: extensionEnv,
          cwd: this.#options.taskRoot,
          onLine: (stream, line) => this.#onLine(source, stream, line),
        });
        gen.extensions.set(file.name, process);
        gen.watch(process, 'extension', file.name);
      } catch (err) {
        gen.fail(
          source,
          SandboxErrorType.ExtensionLaunchError,
          `could not launch ${file.path}: ${err instanceof Error ? err.message : String(err)}`,
        );
        return fail('fatal', 'launch');
      }
    }

    const registered = await this.#until(gen, () => gen.registry.allRegistered(), deadline);
    if (registered !== 'ok') return fail(registered, 'waiting for extensions to register');

    const [command, ...args] = runtimeCommand.argv;
    if (command === undefined) {
      throw new SandboxError(SandboxErrorType.InvalidOptions, 'runtimeCommand must not be empty');
    }
    try {
      gen.runtime = await ProcessGroup.spawn({
        source: 'runtime',
        command,
        args,
        env: runtimeEnvironment(spec),
        cwd: this.#options.taskRoot,
        onLine: (stream, line) => this.#onLine('runtime', stream, line),
      });
      gen.watch(gen.runtime, 'runtime', 'runtime');
    } catch (err) {
      gen.fail(
        'runtime',
        SandboxErrorType.RuntimeExitError,
        `could not start the runtime: ${err instanceof Error ? err.message : String(err)}`,
      );
      return fail('fatal', 'runtime start');
    }

    const ready = await this.#until(
      gen,
      () => !gen.runtimeAgent.busy && gen.registry.all().every((r) => !r.agent.busy),
      deadline,
    );
    if (ready !== 'ok') return fail(ready, 'waiting for the runtime and extensions to call next');

    gen.registry.close();
    gen.initDone = true;
    const runtime = gen.runtime;
    const report: InitReport = {
      durationMs: Date.now() - startedAt,
      extensions: gen.registry.all().map((r) => ({
        name: r.name,
        pid: gen.extensions.get(r.name)?.pid ?? 0,
        spawnedAt: gen.extensions.get(r.name)?.spawnedAt ?? 0,
        registeredAt: r.registeredAt,
        readyAt: r.agent.firstPollAt ?? 0,
        events: [...r.events],
      })),
      runtime: {
        pid: runtime.pid,
        spawnedAt: runtime.spawnedAt,
        readyAt: gen.runtimeAgent.firstPollAt ?? 0,
      },
    };
    this.#lastInit = report;
    await this.#freeze();
    return report;
  }

  async #invoke(
    payload: unknown,
    opts: InvokeOptions,
    handOut: (invocation: Invocation | undefined) => void,
  ): Promise<InvokeResult> {
    this.#assertOpen();
    const requestedAt = Date.now();
    let initDurationMs: number | undefined;
    if (this.#gen?.fatal) await this.#reset(ShutdownReason.Failure);
    if (!this.#gen?.initDone) {
      try {
        initDurationMs = (await this.#initialize()).durationMs;
      } catch (err) {
        handOut(undefined);
        if (!(err instanceof SandboxError)) throw err;
        return initFailedResult(
          { errorType: err.errorType, errorMessage: err.message },
          requestedAt,
        );
      }
    }
    const gen = this.#gen;
    if (!gen) throw new SandboxError(SandboxErrorType.InvalidState, 'no execution environment');
    this.#thaw();
    const timeoutMs = opts.timeoutMs ?? this.#options.timeoutMs ?? 3000;
    const invocation = new Invocation(payload, {
      invokedFunctionArn: this.#functionArn,
      deadlineMs: Date.now() + timeoutMs,
    });
    gen.current = invocation;
    let outcome: InvocationOutcome | undefined;
    void invocation.outcome.then((o) => {
      outcome = o;
      this.#changed();
    });
    const subscribers = gen.subscribers(ExtensionEvent.Invoke);
    for (const r of subscribers) r.agent.enqueue(invocation.extensionEvent());
    gen.runtimeAgent.enqueue(invocation.runtimeEvent());
    handOut(invocation);

    // Phase 1: the runtime's answer, within the function timeout.
    const answered = await this.#until(gen, () => outcome !== undefined, invocation.deadlineMs);
    if (answered !== 'ok' || !outcome) {
      const timedOut = answered === 'timeout';
      const error = timedOut
        ? timeoutError(invocation.requestId, timeoutMs)
        : {
            errorType: gen.fatal?.errorType ?? SandboxErrorType.RuntimeExitError,
            errorMessage: `RequestId: ${invocation.requestId} Error: ${gen.fatal?.message ?? 'failure'}`,
          };
      if (timedOut) gen.fail('sandbox', error.errorType, error.errorMessage);
      invocation.abandon(error);
      const resetReason = timedOut ? ShutdownReason.Timeout : ShutdownReason.Failure;
      await this.#reset(resetReason);
      const status = timedOut ? 'timeout' : 'error';
      return abandonedResult(invocation, status, error, resetReason, initDurationMs);
    }
    const response = answeredResult(invocation, outcome, initDurationMs);
    let callbackError: unknown;
    try {
      opts.onResponse?.(response);
    } catch (err) {
      callbackError = err;
    }

    // Phase 2: INVOKE subscribers and the runtime back in /next, still within the timeout.
    const extensionsDone = await this.#until(
      gen,
      () => subscribers.every((r) => !r.agent.busy),
      invocation.deadlineMs,
    );
    const extensionsDoneMs = Date.now() - invocation.startedAt;
    const settled =
      extensionsDone === 'ok'
        ? await this.#until(gen, () => !gen.runtimeAgent.busy, invocation.deadlineMs)
        : extensionsDone;
    gen.current = undefined;
    let resetReason: string | undefined;
    if (settled === 'ok') {
      await this.#freeze();
    } else {
      if (settled === 'timeout') {
        const late = timeoutError(invocation.requestId, timeoutMs, ' (after the response)');
        gen.fail('sandbox', late.errorType, late.errorMessage);
      }
      resetReason = settled === 'timeout' ? ShutdownReason.Timeout : ShutdownReason.Failure;
      await this.#reset(resetReason);
    }
    if (callbackError !== undefined) throw callbackError;
    return { ...response, extensionsDoneMs, ...(resetReason ? { resetReason } : {}) };
  }
}
