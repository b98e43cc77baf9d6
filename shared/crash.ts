/**
 * The process's last-resort output. Node's own handlers print an uncaught error's
 * message, stack and source line in full, and anything may be in them; these print
 * one bounded JSON line whose every string went through the redactor. They cannot
 * throw: if formatting fails, a fixed line is printed instead.
 */
import type { Redactor } from './redact.ts';

/** Longest text kept from an error's message or stack. */
export const CRASH_TEXT_LIMIT = 2_000;

/** Stack frames kept. */
const MAX_FRAMES = 12;

const FALLBACK = '{"level":"error","message":"crashed; details withheld"}';

/** One redacted, bounded JSON line describing `err`. Never throws. */
export function crashLine(
  redactor: Redactor,
  service: string,
  message: string,
  err: unknown,
): string {
  try {
    const e = err instanceof Error ? err : undefined;
    const text = e ? `${e.name}: ${e.message}` : typeof err === 'string' ? err : typeof err;
    const frames = (e?.stack ?? '')
      .split('\n')
      .filter((l) => /^\s+at /.test(l))
      .slice(0, MAX_FRAMES)
      .map((l) => bounded(redactor.redactString(l.trim()), 300));
    return JSON.stringify({
      level: 'error',
      message,
      timestamp: new Date().toISOString(),
      service,
      error: bounded(redactor.redactString(text), CRASH_TEXT_LIMIT),
      ...(frames.length > 0 ? { stack: frames } : {}),
    });
  } catch {
    return FALLBACK;
  }
}

/** Options of {@link installCrashHandlers}. */
export interface CrashHandlerOptions {
  readonly redactor: Redactor;
  readonly service: string;
  /** Where the line goes. @default stderr */
  readonly write?: (line: string) => void;
  /** What to do after an uncaught exception. @default exit with code 1 */
  readonly onFatal?: () => void;
}

/**
 * Replaces Node's printing of uncaught exceptions and unhandled rejections with
 * {@link crashLine}. An uncaught exception is fatal (the process state is unknown);
 * an unhandled rejection is logged and the process goes on.
 */
export function installCrashHandlers(options: CrashHandlerOptions): void {
  const write =
    options.write ??
    ((line: string) => {
      try {
        process.stderr.write(`${line}\n`);
      } catch {
        // Nowhere left to report to.
      }
    });
  const onFatal = options.onFatal ?? (() => process.exit(1));
  process.on('uncaughtException', (err) => {
    write(crashLine(options.redactor, options.service, 'uncaught exception', err));
    onFatal();
  });
  process.on('unhandledRejection', (reason) => {
    write(crashLine(options.redactor, options.service, 'unhandled rejection', reason));
  });
}

function bounded(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}…[${text.length - limit} more]`;
}
