/**
 * Public types of the local Lambda sandbox: options, reports and results.
 * Times named `...At` are epoch milliseconds; `...Ms` are durations.
 */

/** Static AWS credentials handed to every process in the sandbox. */
export interface SandboxCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** One line a sandbox process wrote to stdout or stderr. */
export interface OutputLine {
  /** `'runtime'` or `'extension:<name>'`. */
  readonly source: string;
  readonly stream: 'stdout' | 'stderr';
  /** The line without its trailing newline. */
  readonly line: string;
  /** Epoch ms when the line was read. */
  readonly time: number;
}

/** Options of {@link LambdaSandbox}. */
export interface SandboxOptions {
  /** Every executable regular file directly in it is launched as an extension. Omit for none. */
  readonly extensionsDir?: string;
  /** The function code directory (`LAMBDA_TASK_ROOT`, and the runtime's working directory). */
  readonly taskRoot: string;
  /** `file.export`, e.g. `index.handler`; `file` resolves to `file.mjs`, then `file.js`. */
  readonly handler: string;
  /** Function environment, given to the runtime and the extensions. */
  readonly env?: Readonly<Record<string, string>>;
  /** PATH of every process. @default Lambda's (`/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin`) */
  readonly path?: string;
  /** @default 'sandbox-function' */
  readonly functionName?: string;
  /** @default 128 */
  readonly memorySizeMb?: number;
  /** Per-invoke function timeout. @default 3000 */
  readonly timeoutMs?: number;
  /** Init phase limit (launch, registration, runtime init). @default 10000 */
  readonly initTimeoutMs?: number;
  /** Shutdown budget shared by the runtime (SIGTERM, up to 300 ms) and the extensions. @default 2000 */
  readonly shutdownTimeoutMs?: number;
  /** SIGSTOP every process group between invokes, as Lambda does. @default true */
  readonly freeze?: boolean;
  /** @default random dummy values, new per sandbox */
  readonly credentials?: SandboxCredentials;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Account id used in ARNs and the `accountId` registration feature. @default '123456789012' */
  readonly accountId?: string;
  /** Called for every output line as it arrives. */
  readonly onOutput?: (line: OutputLine) => void;
  /** Also print every output line to stderr as `[source] line` (for demos). @default false */
  readonly echoOutput?: boolean;
  /**
   * Command (argv) that starts the runtime. @default `node dist/sandbox/runtime.mjs`, or
   * `node --import tsx sandbox/runtime.ts` when the bundle is missing or older than the source.
   */
  readonly runtimeCommand?: readonly string[];
}

/** One extension as seen during init. */
export interface ExtensionInitInfo {
  readonly name: string;
  readonly pid: number;
  /** Epoch ms the process was spawned. */
  readonly spawnedAt: number;
  /** Epoch ms of its successful registration. */
  readonly registeredAt: number;
  /** Epoch ms it first called `/event/next`. */
  readonly readyAt: number;
  readonly events: readonly string[];
}

/** What {@link LambdaSandbox.init} measured. */
export interface InitReport {
  /** From the first spawn to the runtime and every extension waiting in `/next`. */
  readonly durationMs: number;
  readonly extensions: readonly ExtensionInitInfo[];
  readonly runtime: {
    readonly pid: number;
    readonly spawnedAt: number;
    readonly readyAt: number;
  };
}

/** The error of a failed invocation, as Lambda reports it. */
export interface InvokeError {
  readonly errorType: string;
  readonly errorMessage: string;
}

/** Metadata a streaming HTTP-integration response sends before its body. */
export interface StreamPrelude {
  readonly statusCode?: number;
  readonly headers?: Record<string, string>;
  readonly cookies?: string[];
}

/** Outcome of one invocation. */
export interface InvokeResult {
  readonly requestId: string;
  readonly status: 'ok' | 'error' | 'timeout';
  /** The response (or error body) parsed as JSON when possible, else the raw string. */
  readonly payload?: unknown;
  /** The response body as the runtime sent it (after the prelude, for streamed responses). */
  readonly rawPayload?: string;
  readonly error?: InvokeError;
  /** Prelude of a streamed HTTP-integration response. */
  readonly prelude?: StreamPrelude;
  /** From the invoke until the runtime's response (or error, or timeout) was complete. */
  readonly durationMs: number;
  /** From the invoke until every INVOKE-subscribed extension called `/next` again. */
  readonly extensionsDoneMs: number;
  /** Set when the invocation made the sandbox reset (`timeout` or `failure`); the next invoke re-inits. */
  readonly resetReason?: string;
  /** Init ran as part of this invoke (first invoke, or after a reset). */
  readonly initDurationMs?: number;
}

/** Options of one invocation. */
export interface InvokeOptions {
  /** Overrides the sandbox's function timeout for this invocation. */
  readonly timeoutMs?: number;
  /**
   * Called as soon as the runtime's response is complete, before extensions are done
   * (`extensionsDoneMs` is not known yet and equals `durationMs`). If it throws, the
   * invocation still completes (freeze or reset), then `invoke()` rejects with that error.
   */
  readonly onResponse?: (result: InvokeResult) => void;
}

/** A streamed invocation: chunks as the runtime writes them. */
export interface StreamingInvocation {
  /** Present when the response uses `awslambda.HttpResponseStream`. */
  readonly prelude?: StreamPrelude;
  /** Body bytes as they arrive (the prelude removed). Ends when the response ends. */
  readonly chunks: AsyncIterable<Buffer>;
  /** Resolves once the invocation is complete, like {@link InvokeResult} from `invoke()`. */
  readonly done: Promise<InvokeResult>;
}

/** How one process ended during shutdown or reset. */
export interface ProcessExitReport {
  readonly name: string;
  readonly pid: number;
  /** Exit code, or null when a signal ended it. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** From the start of shutdown until the process exited. */
  readonly durationMs: number;
  /** Exited by itself before the deadline (false if the sandbox had to SIGKILL it). */
  readonly withinDeadline: boolean;
}

/** A fatal condition the sandbox recorded (crash, init/exit error, timeout). */
export interface SandboxFailure {
  /** `'runtime'`, `'extension:<name>'` or `'sandbox'`. */
  readonly source: string;
  readonly errorType: string;
  readonly message: string;
  /** Epoch ms. */
  readonly time: number;
  /** JSON body a process posted with its error report, if any. */
  readonly body?: unknown;
}

/** What shutdown (or a reset) did. */
export interface ShutdownReport {
  readonly reason: string;
  readonly durationMs: number;
  readonly extensions: readonly ProcessExitReport[];
  /** Absent when the runtime had not been started. */
  readonly runtime?: ProcessExitReport;
  /** Non-zero exits, kills at the deadline and error reports seen during this shutdown. */
  readonly problems: readonly string[];
}

/** A successful registration. */
export interface RegistrationInfo {
  readonly name: string;
  readonly events: string[];
  /** Epoch ms. */
  readonly registeredAtMs: number;
}
