/**
 * Structured JSON logger: one line per event with fixed keys
 * (`level`, `message`, `timestamp`, `service`, `component`, then fields).
 * Every line passes through a {@link Redactor}; there is no way around it.
 */
import { globalRedactor, type Redactor } from './redact.ts';

/** Log levels, lowest first. */
export const LogLevel = {
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  NONE: 'none',
} as const;

/** One of {@link LogLevel}. */
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

/** Every accepted level name, for config validation messages. */
export const LOG_LEVELS: readonly LogLevel[] = Object.values(LogLevel);

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, none: 100 };

/** Where finished lines go. Defaults to stdout (Lambda ships stdout to CloudWatch Logs). */
export type LogSink = (line: string) => void;

/** Options for {@link Logger}. */
export interface LoggerOptions {
  /** Service name on every line, e.g. `secret-sidecar`. */
  readonly service: string;
  /** Component on every line, e.g. `cache`. @default 'main' */
  readonly component?: string;
  /** Minimum level written. @default 'info' */
  readonly level?: LogLevel;
  /** Redactor applied to every line. @default the process-wide redactor */
  readonly redactor?: Redactor;
  /** Output. @default writes to process.stdout */
  readonly sink?: LogSink;
  /** Clock for timestamps. @default Date.now */
  readonly now?: () => number;
  /** Fields added to every line. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

const defaultSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

/**
 * Structured logger. Create one per process and derive components with {@link Logger.child}.
 *
 * @example
 * const log = new Logger({ service: 'secret-sidecar', level: config.logLevel });
 * log.child('cache').info('refreshed', { secretId, versionId });
 */
export class Logger {
  readonly #service: string;
  readonly #component: string;
  readonly #level: LogLevel;
  readonly #redactor: Redactor;
  readonly #sink: LogSink;
  readonly #now: () => number;
  readonly #fields: Readonly<Record<string, unknown>>;

  constructor(options: LoggerOptions) {
    this.#service = options.service;
    this.#component = options.component ?? 'main';
    this.#level = options.level ?? LogLevel.INFO;
    this.#redactor = options.redactor ?? globalRedactor;
    this.#sink = options.sink ?? defaultSink;
    this.#now = options.now ?? Date.now;
    this.#fields = options.fields ?? {};
  }

  /** The level this logger writes at or above. */
  get level(): LogLevel {
    return this.#level;
  }

  /** A logger for another component that shares sink, level and redactor. */
  child(component: string, fields?: Readonly<Record<string, unknown>>): Logger {
    return new Logger({
      service: this.#service,
      component,
      level: this.#level,
      redactor: this.#redactor,
      sink: this.#sink,
      now: this.#now,
      fields: { ...this.#fields, ...fields },
    });
  }

  /** True if a line at `level` would be written. */
  enabled(level: Exclude<LogLevel, 'none'>): boolean {
    return RANK[level] >= RANK[this.#level];
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.#write('debug', message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.#write('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.#write('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.#write('error', message, fields);
  }

  #write(
    level: Exclude<LogLevel, 'none'>,
    message: string,
    fields?: Record<string, unknown>,
  ): void {
    if (!this.enabled(level)) return;
    const entry = {
      level,
      message,
      timestamp: new Date(this.#now()).toISOString(),
      service: this.#service,
      component: this.#component,
      ...this.#fields,
      ...fields,
    };
    let line: string;
    try {
      line = JSON.stringify(entry, this.#redactor.replacer);
    } catch {
      line = JSON.stringify({
        level,
        message: this.#redactor.redactString(message),
        timestamp: entry.timestamp,
        service: this.#service,
        component: this.#component,
        logError: 'fields could not be serialized',
      });
    }
    this.#sink(line);
  }
}

/**
 * Resolves the effective level: Lambda's Advanced Logging Controls
 * (`AWS_LAMBDA_LOG_LEVEL`) win over the product's own setting.
 */
export function effectiveLogLevel(own: LogLevel, lambdaLevel: string | undefined): LogLevel {
  if (!lambdaLevel) return own;
  const mapped = lambdaLevel.toLowerCase() === 'trace' ? 'debug' : lambdaLevel.toLowerCase();
  if (mapped === 'fatal') return LogLevel.ERROR;
  return (LOG_LEVELS as readonly string[]).includes(mapped) ? (mapped as LogLevel) : own;
}
