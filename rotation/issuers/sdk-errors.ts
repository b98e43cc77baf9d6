/**
 * Errors of the providers' official TypeScript SDKs (`openai`, `@anthropic-ai/sdk`), mapped
 * once, here, onto {@link SidecarError}: status and the provider's error code, never its text.
 * Both SDKs throw the same three kinds (an answer with a status, no connection, no answer in
 * time), each from its own classes, which the caller passes in.
 */
import { ErrorCode, SidecarError } from '../../shared/errors.ts';
import { providerError } from './http.ts';

/** The error classes one SDK throws. */
export interface SdkErrorClasses {
  /** An answer with an HTTP status (`status`, parsed body in `error`). */
  readonly APIError: abstract new (
    ...args: never[]
  ) => { status: number | undefined; error: unknown };
  /** No connection could be made. */
  readonly APIConnectionError: abstract new (
    ...args: never[]
  ) => Error;
  /** No answer within the client's timeout (a subclass of the connection error). */
  readonly APIConnectionTimeoutError: abstract new (
    ...args: never[]
  ) => Error;
}

/** Runs one SDK call for `provider`; a foreign error becomes a {@link SidecarError}. */
export async function sdkCall<T>(
  provider: string,
  classes: SdkErrorClasses,
  operation: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof classes.APIConnectionTimeoutError) {
      throw new SidecarError(
        ErrorCode.UpstreamTimeout,
        `${provider} ${operation}: no answer in time`,
        {
          cause: err,
          errorType: 'ProviderTimeout',
        },
      );
    }
    if (err instanceof classes.APIConnectionError) {
      throw new SidecarError(
        ErrorCode.UpstreamUnavailable,
        `${provider} ${operation}: could not connect`,
        {
          cause: err,
          errorType: 'ProviderUnavailable',
        },
      );
    }
    if (err instanceof classes.APIError && err.status !== undefined) {
      throw providerError(provider, operation, { status: err.status, body: { error: err.error } });
    }
    throw err;
  }
}
