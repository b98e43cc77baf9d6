/** The `context` object handlers receive, shaped like Lambda's Node runtime's. */
import type { NextInvocation } from './runtime-client.ts';

/** Static facts from the runtime environment. */
export interface FunctionInfo {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly memoryLimitInMB: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
}

/** Lambda's invocation context. */
export interface LambdaContext {
  callbackWaitsForEmptyEventLoop: boolean;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly identity?: unknown;
  readonly clientContext?: unknown;
  getRemainingTimeInMillis(): number;
}

function parseOptional(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Builds the context of one invocation. */
export function createContext(info: FunctionInfo, next: NextInvocation): LambdaContext {
  const identity = parseOptional(next.cognitoIdentity);
  const clientContext = parseOptional(next.clientContext);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: info.functionName,
    functionVersion: info.functionVersion,
    invokedFunctionArn: next.invokedFunctionArn,
    memoryLimitInMB: info.memoryLimitInMB,
    awsRequestId: next.requestId,
    logGroupName: info.logGroupName,
    logStreamName: info.logStreamName,
    ...(identity === undefined ? {} : { identity }),
    ...(clientContext === undefined ? {} : { clientContext }),
    getRemainingTimeInMillis: () => Math.max(0, next.deadlineMs - Date.now()),
  };
}
