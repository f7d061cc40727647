import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { MAX_BODY_BYTES } from "../../lib/topology.js";
import { userIdSchema } from "../domain/events.js";
import { type FieldError, fieldErrors } from "../domain/validation.js";

export function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(body),
  };
}

export function badRequest(message: string, errors: readonly FieldError[] = []) {
  return json(400, { message, errors });
}

/** An HTTP answer decided before the use case runs (bad body, missing identity, ...). */
export class HttpError extends Error {
  constructor(readonly response: APIGatewayProxyResult) {
    super(`HTTP ${response.statusCode}`);
  }
}

/** The app the caller's API key belongs to, as the authorizer put it in the request context. */
export function appIdOf(event: APIGatewayProxyEvent): string {
  const appId = event.requestContext?.authorizer?.appId;
  if (typeof appId !== "string" || appId === "") {
    throw new HttpError(json(401, { message: "Unauthorized" }));
  }
  return appId;
}

/** The `{userId}` path parameter, held to the same pseudonymous-ID rules as events. */
export function userIdOf(event: APIGatewayProxyEvent): string {
  const userId = userIdSchema.safeParse(event.pathParameters?.userId);
  if (!userId.success) {
    throw new HttpError(badRequest("invalid userId in path", fieldErrors(userId.error, "userId")));
  }
  return userId.data;
}

/** Parses a JSON body, enforcing the 1 MB contract (API Gateway itself allows 10 MB). */
export function jsonBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === undefined || event.body === "") {
    throw new HttpError(badRequest("request body is missing: send a JSON document"));
  }
  const text = event.isBase64Encoded
    ? Buffer.from(event.body, "base64").toString("utf8")
    : event.body;
  if (Buffer.byteLength(text, "utf8") > MAX_BODY_BYTES) {
    throw new HttpError(
      json(413, { message: `request body is larger than ${MAX_BODY_BYTES} bytes` }),
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : "unparseable";
    throw new HttpError(badRequest(`request body is not valid JSON: ${detail}`));
  }
}

/**
 * Runs an API handler body; maps early HTTP answers to responses and anything unexpected to a
 * 500 without internals, so no input can crash the function or leak a stack trace.
 */
export async function respond(
  work: () => Promise<APIGatewayProxyResult>,
  onUnexpected: (error: unknown) => void,
): Promise<APIGatewayProxyResult> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HttpError) return error.response;
    onUnexpected(error);
    return json(500, { message: "internal error" });
  }
}
