/**
 * The parts of an HTTP payload-v2 event (API Gateway HTTP API or Lambda Function URL)
 * the handlers read, and the Lambda context fields they use.
 */
import type { AuthorizerContext } from './auth.ts';

/** A payload-v2 HTTP event, reduced to what the handlers need. */
export interface HttpEventV2 {
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly requestContext?: {
    readonly requestId?: string;
    readonly http?: { readonly method?: string };
    readonly authorizer?: AuthorizerContext;
  };
}

/** The Lambda context fields the handlers use. */
export interface LambdaContextLike {
  readonly awsRequestId?: string;
  getRemainingTimeInMillis?(): number;
}

/** Time kept back from the Lambda deadline to answer with a clean 504. */
export const DEADLINE_MARGIN_MS = 500;

/** The provider deadline: the configured one, capped by the time this invocation has left. */
export function providerDeadline(
  configuredMs: number,
  context: LambdaContextLike | undefined,
): number {
  const left = context?.getRemainingTimeInMillis?.();
  if (left === undefined || !Number.isFinite(left)) return configuredMs;
  return Math.max(100, Math.min(configuredMs, left - DEADLINE_MARGIN_MS));
}

/** A request id for logs: the Lambda's, else API Gateway's, else a placeholder. */
export function requestIdOf(
  event: HttpEventV2 | undefined,
  context: LambdaContextLike | undefined,
): string {
  return context?.awsRequestId ?? event?.requestContext?.requestId ?? 'unknown';
}
