/**
 * Registration rules and state of the Extensions API, as RIE enforces them: the name must
 * be a launched file's basename, events a subset of INVOKE/SHUTDOWN, at most ten
 * extensions, registration only during init, and a valid identifier on every later call.
 */
import { randomUUID } from 'node:crypto';
import { Agent } from './agent.ts';

/** Lambda's limit on extensions per function. */
export const MAX_EXTENSIONS = 10;

/** Event types an external extension may subscribe to. */
export const ExtensionEvent = { Invoke: 'INVOKE', Shutdown: 'SHUTDOWN' } as const;
/** One of {@link ExtensionEvent}. */
export type ExtensionEvent = (typeof ExtensionEvent)[keyof typeof ExtensionEvent];

/** An Extensions API refusal: HTTP status plus Lambda's error body. */
export interface ApiRefusal {
  readonly status: number;
  readonly errorType: string;
  readonly errorMessage: string;
}

/** A registered extension. */
export interface Registration {
  readonly id: string;
  readonly name: string;
  readonly events: readonly ExtensionEvent[];
  /** Epoch ms. */
  readonly registeredAt: number;
  /** Whether the registration asked for the `accountId` feature. */
  readonly wantsAccountId: boolean;
  readonly agent: Agent;
  /** Set once the extension reported init/exit error: later calls are refused. */
  errored: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENTS: readonly string[] = Object.values(ExtensionEvent);

/** True if `value` is an {@link ApiRefusal}. */
export function isRefusal(value: unknown): value is ApiRefusal {
  return typeof value === 'object' && value !== null && 'errorType' in value && 'status' in value;
}

function refuse(errorType: string, errorMessage: string, status = 403): ApiRefusal {
  return { status, errorType, errorMessage };
}

/** Registration state for one init generation of the sandbox. */
export class ExtensionRegistry {
  readonly #launched: ReadonlySet<string>;
  readonly #byId = new Map<string, Registration>();
  readonly #onChange: () => void;
  #closed = false;

  /** @param launched basenames of the launched extension files */
  constructor(launched: readonly string[], onChange: () => void) {
    this.#launched = new Set(launched);
    this.#onChange = onChange;
  }

  /** Validates and records `POST /extension/register`. */
  register(
    name: string | undefined,
    body: unknown,
    acceptFeatures: readonly string[],
  ): Registration | ApiRefusal {
    if (this.#closed) {
      return refuse('Extension.RegistrationClosed', 'registration is only allowed during init');
    }
    if (!name) {
      return refuse('Extension.InvalidExtensionName', 'Lambda-Extension-Name header is required');
    }
    if (!this.#launched.has(name)) {
      const allowed = [...this.#launched].join(', ') || '(no extensions were launched)';
      return refuse(
        'Extension.InvalidExtensionName',
        `Lambda-Extension-Name "${name}" does not match a launched extension file; allowed: ${allowed}`,
      );
    }
    if (this.byName(name)) {
      return refuse('Extension.InvalidExtensionState', `extension "${name}" is already registered`);
    }
    const events = parseEvents(body);
    if (isRefusal(events)) return events;
    if (this.#byId.size >= MAX_EXTENSIONS) {
      return refuse(
        'Extension.TooManyExtensions',
        `at most ${MAX_EXTENSIONS} extensions can register; "${name}" is one too many`,
      );
    }
    const registration: Registration = {
      id: randomUUID(),
      name,
      events,
      registeredAt: Date.now(),
      wantsAccountId: acceptFeatures.includes('accountId'),
      agent: new Agent(this.#onChange),
      errored: false,
    };
    this.#byId.set(registration.id, registration);
    this.#onChange();
    return registration;
  }

  /** Resolves the `Lambda-Extension-Identifier` header of a later call. */
  lookup(identifier: string | undefined): Registration | ApiRefusal {
    if (!identifier) {
      return refuse(
        'Extension.MissingExtensionIdentifier',
        'Lambda-Extension-Identifier header is required',
      );
    }
    if (!UUID.test(identifier)) {
      return refuse(
        'Extension.InvalidExtensionIdentifier',
        'Lambda-Extension-Identifier must be the UUID returned by register',
      );
    }
    const registration = this.#byId.get(identifier);
    if (!registration) {
      return refuse(
        'Extension.UnknownExtensionIdentifier',
        'Lambda-Extension-Identifier is not a registered extension',
      );
    }
    return registration;
  }

  /** Ends the registration window (init is complete). */
  close(): void {
    this.#closed = true;
  }

  /** True when every launched file has registered. */
  allRegistered(): boolean {
    return this.#byId.size >= this.#launched.size;
  }

  /** The registration of extension `name`, if any. */
  byName(name: string): Registration | undefined {
    for (const r of this.#byId.values()) if (r.name === name) return r;
    return undefined;
  }

  /** Every registration, in registration order. */
  all(): Registration[] {
    return [...this.#byId.values()];
  }
}

function parseEvents(body: unknown): ExtensionEvent[] | ApiRefusal {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return refuse(
      'InvalidRequestFormat',
      'body must be a JSON object like {"events":["SHUTDOWN"]}',
    );
  }
  if ('configurationKeys' in body) {
    return refuse(
      'InvalidRequestFormat',
      'configurationKeys is deprecated; use environment variables',
    );
  }
  const events = (body as { events?: unknown }).events ?? [];
  if (!Array.isArray(events) || events.some((e) => typeof e !== 'string')) {
    return refuse('InvalidRequestFormat', 'events must be an array of strings');
  }
  const bad = events.filter((e) => !EVENTS.includes(e));
  if (bad.length > 0) {
    return refuse(
      'Extension.InvalidEventType',
      `unknown event type ${bad.map((e) => `"${e}"`).join(', ')}; allowed: ${EVENTS.join(', ')}`,
    );
  }
  return [...new Set(events as ExtensionEvent[])];
}
