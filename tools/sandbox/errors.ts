/**
 * Errors raised by the local Lambda sandbox. Each carries a Lambda-style `errorType`
 * (e.g. `Extension.Crash`) that tests and callers match on.
 */
import { ErrorCode, SidecarError } from '../../shared/errors.ts';

/** Lambda error types the sandbox reports, as Lambda and RIE spell them. */
export const SandboxErrorType = {
  /** An extension file could not be started (not executable, bad interpreter). */
  ExtensionLaunchError: 'Extension.LaunchError',
  /** An extension process exited outside SHUTDOWN (even with code 0). */
  ExtensionCrash: 'Extension.Crash',
  /** An extension reported `POST /extension/init/error` without its own type. */
  ExtensionInitError: 'Extension.InitError',
  /** An extension reported `POST /extension/exit/error` without its own type. */
  ExtensionExitError: 'Extension.ExitError',
  /** More than the allowed number of extensions tried to register. */
  TooManyExtensions: 'Extension.TooManyExtensions',
  /** The runtime process exited outside SHUTDOWN. */
  RuntimeExitError: 'Runtime.ExitError',
  /** The runtime reported an init error without its own type. */
  RuntimeInitError: 'Runtime.Unknown',
  /** Init or an invocation ran past its deadline. */
  Timedout: 'Sandbox.Timedout',
  /** A buffered response exceeded Lambda's 6 MB limit. */
  ResponseSizeTooLarge: 'Function.ResponseSizeTooLarge',
  /** The sandbox was used in a way its lifecycle does not allow (e.g. after shutdown). */
  InvalidState: 'Sandbox.InvalidState',
  /** The sandbox options are invalid. */
  InvalidOptions: 'Sandbox.InvalidOptions',
} as const;

/** One of {@link SandboxErrorType}, or a type reported by a process itself. */
export type SandboxErrorTypeName = (typeof SandboxErrorType)[keyof typeof SandboxErrorType];

/** A sandbox failure with a Lambda-style `errorType`. */
export class SandboxError extends SidecarError {
  constructor(errorType: string, message: string, options?: ErrorOptions) {
    super(codeFor(errorType), message, { ...options, errorType });
    this.name = 'SandboxError';
  }
}

function codeFor(errorType: string): SidecarError['code'] {
  if (errorType === SandboxErrorType.Timedout) return ErrorCode.UpstreamTimeout;
  if (errorType === SandboxErrorType.InvalidOptions) return ErrorCode.ConfigInvalid;
  if (errorType === SandboxErrorType.InvalidState) return ErrorCode.Conflict;
  return ErrorCode.Internal;
}
