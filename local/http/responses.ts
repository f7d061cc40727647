/** Writing responses: JSON errors shaped like API Gateway's, and Lambda proxy results. */
import type { ServerResponse } from "node:http";

export function sendJson(
  response: ServerResponse,
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  response.end(text);
}

export function sendHtml(response: ServerResponse, html: string): void {
  response.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "content-length": String(Buffer.byteLength(html)),
    "cache-control": "no-store",
  });
  response.end(html);
}

/** API Gateway's bodies for the errors it produces itself. */
export const GATEWAY_ERRORS = {
  unauthorized: { message: "Unauthorized" },
  forbidden: { message: "User is not authorized to access this resource with an explicit deny" },
  notFound: { message: "Not Found" },
  methodNotAllowed: { message: "Method Not Allowed" },
  internal: { message: "Internal server error" },
  timeout: { message: "Endpoint request timed out" },
  throttled: { message: "Too Many Requests" },
  notReady: { message: "churnwatch local mode is still starting" },
} as const;

export function tooLarge(limit: number) {
  return { message: `Request body is larger than ${limit} bytes` };
}

function isHeaderValue(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

/**
 * Writes an `APIGatewayProxyResult`. Returns false when the result is malformed — API Gateway
 * answers 502 then, and so does the caller.
 */
export function writeProxyResult(response: ServerResponse, result: unknown): boolean {
  if (typeof result !== "object" || result === null) return false;
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = result as Record<
    string,
    unknown
  >;
  if (typeof statusCode !== "number" || !Number.isInteger(statusCode)) return false;
  if (statusCode < 100 || statusCode > 599) return false;
  if (body !== undefined && body !== null && typeof body !== "string") return false;
  const out: Record<string, string | string[]> = {};
  if (headers !== undefined && headers !== null) {
    if (typeof headers !== "object") return false;
    for (const [name, value] of Object.entries(headers)) {
      if (!isHeaderValue(value)) return false;
      out[name.toLowerCase()] = String(value);
    }
  }
  if (multiValueHeaders !== undefined && multiValueHeaders !== null) {
    if (typeof multiValueHeaders !== "object") return false;
    for (const [name, values] of Object.entries(multiValueHeaders)) {
      if (!Array.isArray(values) || !values.every(isHeaderValue)) return false;
      out[name.toLowerCase()] = values.map(String);
    }
  }
  const payload =
    typeof body === "string"
      ? Buffer.from(body, isBase64Encoded === true ? "base64" : "utf8")
      : Buffer.alloc(0);
  out["content-type"] ??= "application/json";
  out["content-length"] = String(payload.length);
  response.writeHead(statusCode, out);
  response.end(payload);
  return true;
}
