/**
 * Resolves and imports the function handler the way Lambda's Node runtime does:
 * `_HANDLER` is `path/module.export[.nested]`, the module is
 * `${LAMBDA_TASK_ROOT}/path/module.mjs`, then `.js`, then `.cjs`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A failure to load the handler, with Lambda's error type. */
export class HandlerLoadError extends Error {
  readonly errorType: string;

  constructor(errorType: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = errorType;
    this.errorType = errorType;
  }
}

/** Splits `_HANDLER` into module path and export path. */
export function parseHandler(handler: string): { module: string; exportPath: string[] } {
  const slash = handler.lastIndexOf('/');
  const dot = handler.indexOf('.', slash + 1);
  if (dot <= slash + 1 || dot === handler.length - 1) {
    throw new HandlerLoadError(
      'Runtime.MalformedHandlerName',
      `Bad handler ${handler}: expected "module.export", e.g. "index.handler"`,
    );
  }
  return { module: handler.slice(0, dot), exportPath: handler.slice(dot + 1).split('.') };
}

/**
 * Imports the module (running its module-scope code) and returns the handler function.
 * Throws {@link HandlerLoadError} or whatever the module's init code threw.
 */
export async function loadHandler(taskRoot: string, handler: string): Promise<unknown> {
  const { module, exportPath } = parseHandler(handler);
  const file = ['.mjs', '.js', '.cjs']
    .map((ext) => join(taskRoot, `${module}${ext}`))
    .find((path) => existsSync(path));
  if (!file) {
    throw new HandlerLoadError(
      'Runtime.ImportModuleError',
      `Error: Cannot find module '${module}' in ${taskRoot} (tried .mjs, .js, .cjs)`,
    );
  }
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw new HandlerLoadError('Runtime.UserCodeSyntaxError', `${err.name}: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
  const pick = (root: unknown): unknown =>
    exportPath.reduce<unknown>(
      (value, key) =>
        value !== null && (typeof value === 'object' || typeof value === 'function')
          ? (value as Record<string, unknown>)[key]
          : undefined,
      root,
    );
  const found = pick(namespace) ?? pick(namespace.default);
  if (typeof found !== 'function') {
    throw new HandlerLoadError(
      'Runtime.HandlerNotFound',
      `${handler} is undefined or not exported`,
    );
  }
  return found;
}
