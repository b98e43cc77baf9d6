/**
 * One lifetime of the execution environment, from launch to teardown: the extension and
 * runtime processes, their registrations and long polls, the current invocation and the
 * first fatal condition. It answers the Runtime and Extensions API for that lifetime.
 */
import type { IncomingMessage } from 'node:http';
import { Agent, type LongPoll } from './agent.ts';
import type { ApiReply, SandboxApi } from './api-server.ts';
import { SandboxErrorType } from './errors.ts';
import {
  type ApiRefusal,
  type ExtensionEvent,
  ExtensionRegistry,
  isRefusal,
} from './extension-registry.ts';
import { errorFrom, type Invocation } from './invocation.ts';
import type { ProcessExit, ProcessGroup } from './process-group.ts';
import type { SandboxFailure } from './types.ts';

/** Static facts the registration answer reports. */
export interface FunctionFacts {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly handler: string;
  readonly accountId: string;
}

/** Callbacks into the sandbox. */
export interface GenerationHooks {
  /** Any state change that a waiter may care about. */
  readonly onChange: () => void;
  /** Every failure, fatal or not, for the sandbox's record. */
  readonly onFailure: (failure: SandboxFailure) => void;
}

const ACCEPTED: ApiReply = { status: 202, body: { status: 'OK' } };

function refusal(r: ApiRefusal): ApiReply {
  return { status: r.status, body: { errorType: r.errorType, errorMessage: r.errorMessage } };
}

function describeExit(exit: ProcessExit): string {
  return exit.signal ? `signal: ${exit.signal}` : `exit status ${exit.code ?? 0}`;
}

/** State and API behaviour of one execution environment lifetime. */
export class Generation implements SandboxApi {
  readonly registry: ExtensionRegistry;
  readonly runtimeAgent: Agent;
  /** Extension processes by name, in launch order. */
  readonly extensions = new Map<string, ProcessGroup>();
  runtime: ProcessGroup | undefined;
  /** The invocation in flight, if any. */
  current: Invocation | undefined;
  /** True once the runtime and every extension finished init. */
  initDone = false;
  readonly #facts: FunctionFacts;
  readonly #hooks: GenerationHooks;
  #fatal: SandboxFailure | undefined;
  #terminating = false;

  constructor(launched: readonly string[], facts: FunctionFacts, hooks: GenerationHooks) {
    this.#facts = facts;
    this.#hooks = hooks;
    this.registry = new ExtensionRegistry(launched, hooks.onChange);
    this.runtimeAgent = new Agent(hooks.onChange);
  }

  /** The first fatal condition, if any: the environment must be reset. */
  get fatal(): SandboxFailure | undefined {
    return this.#fatal;
  }

  /** True once teardown started: exits are expected, not crashes. */
  get terminating(): boolean {
    return this.#terminating;
  }

  /** Marks the start of teardown. */
  beginTeardown(): void {
    this.#terminating = true;
    this.registry.close();
  }

  /** Records a failure; it becomes the fatal condition unless one exists or teardown runs. */
  fail(source: string, errorType: string, message: string, body?: unknown): SandboxFailure {
    const failure: SandboxFailure = {
      source,
      errorType,
      message,
      time: Date.now(),
      ...(body === undefined ? {} : { body }),
    };
    this.#hooks.onFailure(failure);
    if (!this.#fatal && !this.#terminating) this.#fatal = failure;
    this.#hooks.onChange();
    return failure;
  }

  /** Tracks a process's exit: outside teardown every exit is a crash. */
  watch(process: ProcessGroup, kind: 'runtime' | 'extension', name: string): void {
    void process.exited.then((exit) => {
      if (this.#terminating) {
        this.#hooks.onChange();
        return;
      }
      if (kind === 'runtime') {
        this.fail(
          'runtime',
          SandboxErrorType.RuntimeExitError,
          `Runtime exited with error: ${describeExit(exit)}`,
        );
      } else {
        this.fail(
          `extension:${name}`,
          SandboxErrorType.ExtensionCrash,
          `extension "${name}" exited outside SHUTDOWN (${describeExit(exit)})`,
        );
      }
    });
  }

  /** Registrations subscribed to `event`. */
  subscribers(event: ExtensionEvent): ReturnType<ExtensionRegistry['all']> {
    return this.registry.all().filter((r) => r.events.includes(event));
  }

  /** Every process still running. */
  liveProcesses(): ProcessGroup[] {
    const all = [...this.extensions.values()];
    if (this.runtime) all.push(this.runtime);
    return all.filter((p) => p.alive);
  }

  register(name: string | undefined, body: unknown, acceptFeatures: string[]): ApiReply {
    const registration = this.registry.register(name, body, acceptFeatures);
    if (isRefusal(registration)) {
      if (registration.errorType === 'Extension.TooManyExtensions' && name) {
        this.fail(`extension:${name}`, registration.errorType, registration.errorMessage);
      }
      return refusal(registration);
    }
    return {
      status: 200,
      headers: { 'Lambda-Extension-Identifier': registration.id },
      body: {
        functionName: this.#facts.functionName,
        functionVersion: this.#facts.functionVersion,
        handler: this.#facts.handler,
        ...(registration.wantsAccountId ? { accountId: this.#facts.accountId } : {}),
      },
    };
  }

  extensionNext(identifier: string | undefined, poll: LongPoll): ApiReply | undefined {
    const registration = this.registry.lookup(identifier);
    if (isRefusal(registration)) return refusal(registration);
    if (registration.errored) return invalidState(registration.name);
    registration.agent.poll(poll);
    return undefined;
  }

  extensionError(
    kind: 'init' | 'exit',
    identifier: string | undefined,
    errorType: string,
    body: unknown,
  ): ApiReply {
    const registration = this.registry.lookup(identifier);
    if (isRefusal(registration)) return refusal(registration);
    if (registration.errored) return invalidState(registration.name);
    registration.errored = true;
    const { errorMessage } = errorFrom(body, errorType);
    this.fail(
      `extension:${registration.name}`,
      errorType,
      errorMessage || `extension "${registration.name}" reported an ${kind} error`,
      body,
    );
    return ACCEPTED;
  }

  runtimeNext(poll: LongPoll): ApiReply | undefined {
    this.runtimeAgent.poll(poll);
    return undefined;
  }

  async runtimeResponse(requestId: string, req: IncomingMessage): Promise<ApiReply> {
    const invocation = this.#invocation(requestId);
    if (!invocation) return unknownRequest(requestId, req);
    return invocation.acceptResponse(req);
  }

  async runtimeError(requestId: string, req: IncomingMessage): Promise<ApiReply> {
    const invocation = this.#invocation(requestId);
    if (!invocation) return unknownRequest(requestId, req);
    return invocation.acceptError(req);
  }

  runtimeInitError(errorType: string | undefined, body: unknown): ApiReply {
    if (this.initDone) {
      return {
        status: 403,
        body: {
          errorType: 'InvalidStateTransition',
          errorMessage: 'init/error is only allowed during init',
        },
      };
    }
    const error = errorFrom(body, errorType ?? SandboxErrorType.RuntimeInitError);
    this.fail('runtime', error.errorType, error.errorMessage || 'the runtime failed to init', body);
    return ACCEPTED;
  }

  #invocation(requestId: string): Invocation | undefined {
    const current = this.current;
    return current && current.requestId === requestId ? current : undefined;
  }
}

function unknownRequest(requestId: string, req: IncomingMessage): ApiReply {
  req.resume();
  return {
    status: 400,
    body: { errorType: 'InvalidRequestID', errorMessage: `Invalid request ID: ${requestId}` },
  };
}

function invalidState(name: string): ApiReply {
  return {
    status: 403,
    body: {
      errorType: 'Extension.InvalidExtensionState',
      errorMessage: `extension "${name}" reported an error; no further calls are accepted`,
    },
  };
}

/** A generation that is not running: every call is refused. */
export class ClosedApi implements SandboxApi {
  register(): ApiReply {
    return {
      status: 403,
      body: {
        errorType: 'Extension.RegistrationClosed',
        errorMessage: 'the sandbox is not initializing',
      },
    };
  }
  extensionNext(): ApiReply {
    return this.#refuse();
  }
  extensionError(): ApiReply {
    return this.#refuse();
  }
  runtimeNext(): ApiReply {
    return this.#refuse();
  }
  async runtimeResponse(_requestId: string, req: IncomingMessage): Promise<ApiReply> {
    req.resume();
    return this.#refuse();
  }
  async runtimeError(_requestId: string, req: IncomingMessage): Promise<ApiReply> {
    req.resume();
    return this.#refuse();
  }
  runtimeInitError(): ApiReply {
    return this.#refuse();
  }
  #refuse(): ApiReply {
    return {
      status: 403,
      body: {
        errorType: 'Sandbox.NotRunning',
        errorMessage: 'the execution environment is not running',
      },
    };
  }
}
