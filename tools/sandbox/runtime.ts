/**
 * A minimal Node.js Lambda runtime for the sandbox (entry point; bundled to
 * `dist/sandbox/runtime.mjs`). It imports the handler during init (module-scope code runs
 * then; a failure is `POST /runtime/init/error`), installs the `awslambda` global, then
 * loops: next invocation → handler → response (buffered or streamed) or error.
 */
import { loadHandler } from './handler-loader.ts';
import { createContext, type FunctionInfo, type LambdaContext } from './lambda-context.ts';
import { awslambda, isStreamingHandler, ResponseStream } from './response-stream.ts';
import { type NextInvocation, RuntimeClient, toErrorBody } from './runtime-client.ts';

type BufferedHandler = (
  event: unknown,
  context: LambdaContext,
  callback: (err?: unknown, result?: unknown) => void,
) => unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Calls a buffered handler: async (promise) or callback style. */
function callBuffered(
  handler: BufferedHandler,
  event: unknown,
  context: LambdaContext,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback = (err?: unknown, result?: unknown): void => {
      if (err !== undefined && err !== null) reject(err);
      else resolve(result);
    };
    try {
      const returned = handler(event, context, callback);
      if (isThenable(returned)) returned.then(resolve, reject);
      else if (handler.length < 3) resolve(returned);
    } catch (err) {
      reject(err);
    }
  });
}

function reportError(requestId: string, err: unknown): ReturnType<typeof toErrorBody> {
  const body = toErrorBody(err);
  process.stderr.write(
    `${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error\t${JSON.stringify({ errorType: body.errorType, errorMessage: body.errorMessage })}\n`,
  );
  return body;
}

async function runBuffered(
  client: RuntimeClient,
  handler: BufferedHandler,
  next: NextInvocation,
  context: LambdaContext,
): Promise<void> {
  let result: unknown;
  try {
    result = await callBuffered(handler, next.event, context);
  } catch (err) {
    await client.fail(next.requestId, reportError(next.requestId, err));
    return;
  }
  await client.respond(next.requestId, result);
}

async function runStreaming(
  client: RuntimeClient,
  handler: (event: unknown, stream: ResponseStream, context: LambdaContext) => unknown,
  next: NextInvocation,
  context: LambdaContext,
): Promise<void> {
  const stream = new ResponseStream(client, next.requestId);
  try {
    await handler(next.event, stream, context);
    if (!stream.writableEnded) stream.end();
    await stream.completed();
  } catch (err) {
    const body = reportError(next.requestId, err);
    if (!(await stream.failMidStream(body))) await client.fail(next.requestId, body);
  }
}

async function main(): Promise<void> {
  const runtimeApi = process.env.AWS_LAMBDA_RUNTIME_API;
  const handlerName = process.env._HANDLER;
  if (!runtimeApi || !handlerName) {
    process.stderr.write('AWS_LAMBDA_RUNTIME_API and _HANDLER must be set\n');
    process.exit(1);
  }
  const taskRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  const info: FunctionInfo = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? '',
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? '',
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
  };
  const client = new RuntimeClient(runtimeApi);
  Object.assign(globalThis, { awslambda });

  let handler: unknown;
  try {
    handler = await loadHandler(taskRoot, handlerName);
  } catch (err) {
    const body = reportError('init', err);
    await client.failInit(body);
    process.exit(1);
  }

  for (;;) {
    const next = await client.next();
    if (next.traceId) process.env._X_AMZN_TRACE_ID = next.traceId;
    else delete process.env._X_AMZN_TRACE_ID;
    const context = createContext(info, next);
    if (isStreamingHandler(handler)) {
      await runStreaming(client, handler, next, context);
    } else {
      await runBuffered(client, handler as BufferedHandler, next, context);
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`runtime failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
