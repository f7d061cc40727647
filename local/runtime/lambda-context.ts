/**
 * The `context` argument Lambda passes a handler. Handlers and Powertools read the request id,
 * the function name and the remaining time from it; the rest is filled with what Lambda would
 * show, so code that logs it does not trip over `undefined`.
 */
import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";

export interface LambdaContextInput {
  readonly functionName: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly region: string;
  readonly accountId: string;
  readonly now?: () => number;
  readonly awsRequestId?: string;
}

export function createLambdaContext(input: LambdaContextInput): Context {
  const now = input.now ?? Date.now;
  const deadline = now() + input.timeoutSeconds * 1000;
  const physicalName = `churnwatch-local-${input.functionName}`;
  const unsupported = (method: string) => () => {
    throw new Error(`context.${method}() is the callback-era API; return a promise instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: physicalName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${input.region}:${input.accountId}:function:${physicalName}`,
    memoryLimitInMB: String(input.memoryMb),
    awsRequestId: input.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${physicalName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll("-", "")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported("done"),
    fail: unsupported("fail"),
    succeed: unsupported("succeed"),
  };
}
