/**
 * Builds the events API Gateway (REST API, Lambda proxy integration, REQUEST authorizer) hands
 * to Lambda, from a plain description of an HTTP request. Pure, so the shapes are unit-tested
 * without a server. Headers keep the client's spelling, as on AWS: handlers must look them up
 * case-insensitively.
 */
import type {
  APIGatewayAuthorizerResult,
  APIGatewayEventRequestContextWithAuthorizer,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
} from "aws-lambda";

export const LOCAL_ACCOUNT_ID = "000000000000";
export const LOCAL_API_ID = "local";
export const LOCAL_STAGE = "local";

export interface HttpRequestInput {
  readonly method: string;
  /** Path and query as received, e.g. `/v1/users/u%201?x=1`. */
  readonly url: string;
  /** Node's `rawHeaders`: name, value, name, value… in the client's spelling and order. */
  readonly rawHeaders: readonly string[];
  readonly body: string | null;
  readonly sourceIp: string;
  readonly requestId: string;
  readonly receivedAt: Date;
  readonly host: string;
  readonly region: string;
}

export interface MatchedRoute {
  /** API Gateway resource path with `{param}` placeholders. */
  readonly resource: string;
  readonly pathParameters: Readonly<Record<string, string>>;
}

interface ParsedRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly multiValueHeaders: Record<string, string[]>;
  readonly queryStringParameters: Record<string, string> | null;
  readonly multiValueQueryStringParameters: Record<string, string[]> | null;
}

function parseRequest(input: HttpRequestInput): ParsedRequest {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let index = 0; index + 1 < input.rawHeaders.length; index += 2) {
    const name = input.rawHeaders[index] as string;
    const value = input.rawHeaders[index + 1] as string;
    headers[name] = value; // the last value wins in `headers`, as on API Gateway
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const url = new URL(input.url, "http://local.invalid");
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    multiQuery[name] = [...(multiQuery[name] ?? []), value];
  }
  const hasQuery = Object.keys(query).length > 0;
  return {
    path: url.pathname,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
  };
}

/** A header's value whatever its spelling (HTTP header names are case-insensitive). */
export function headerValue(rawHeaders: readonly string[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  let found: string | undefined;
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if ((rawHeaders[index] as string).toLowerCase() === wanted) found = rawHeaders[index + 1];
  }
  return found;
}

/** The ARN an authorizer's policy is checked against: the actual path, not the template. */
export function methodArn(input: Pick<HttpRequestInput, "method" | "url" | "region">): string {
  const path = new URL(input.url, "http://local.invalid").pathname;
  return `arn:aws:execute-api:${input.region}:${LOCAL_ACCOUNT_ID}:${LOCAL_API_ID}/${LOCAL_STAGE}/${input.method}${path}`;
}

function requestContext<A>(
  input: HttpRequestInput,
  parsed: ParsedRequest,
  route: MatchedRoute,
  authorizer: A,
): APIGatewayEventRequestContextWithAuthorizer<A> {
  return {
    accountId: LOCAL_ACCOUNT_ID,
    apiId: LOCAL_API_ID,
    authorizer,
    domainName: input.host,
    domainPrefix: input.host.split(".")[0] ?? input.host,
    extendedRequestId: input.requestId,
    httpMethod: input.method,
    identity: {
      accessKey: null,
      accountId: null,
      apiKey: null,
      apiKeyId: null,
      caller: null,
      clientCert: null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      sourceIp: input.sourceIp,
      user: null,
      userAgent: headerValue(input.rawHeaders, "user-agent") ?? null,
      userArn: null,
    },
    path: `/${LOCAL_STAGE}${parsed.path}`,
    protocol: "HTTP/1.1",
    requestId: input.requestId,
    requestTime: formatRequestTime(input.receivedAt),
    requestTimeEpoch: input.receivedAt.getTime(),
    resourceId: LOCAL_API_ID,
    resourcePath: route.resource,
    stage: LOCAL_STAGE,
  };
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** API Gateway's `requestTime` format: `09/Apr/2015:12:34:56 +0000`. */
export function formatRequestTime(at: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${pad(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:${pad(
    at.getUTCHours(),
  )}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())} +0000`;
}

function pathParametersOf(route: MatchedRoute): Record<string, string> | null {
  return Object.keys(route.pathParameters).length > 0 ? { ...route.pathParameters } : null;
}

export function buildAuthorizerEvent(
  input: HttpRequestInput,
  route: MatchedRoute,
): APIGatewayRequestAuthorizerEvent {
  const parsed = parseRequest(input);
  return {
    type: "REQUEST",
    methodArn: methodArn(input),
    resource: route.resource,
    path: parsed.path,
    httpMethod: input.method,
    headers: parsed.headers,
    multiValueHeaders: parsed.multiValueHeaders,
    pathParameters: pathParametersOf(route),
    queryStringParameters: parsed.queryStringParameters,
    multiValueQueryStringParameters: parsed.multiValueQueryStringParameters,
    stageVariables: null,
    requestContext: requestContext(input, parsed, route, undefined),
  };
}

/** What the proxy event carries in `requestContext.authorizer` after an Allow. */
export type AuthorizerContext = Record<string, string | number>;

export function buildProxyEvent(
  input: HttpRequestInput,
  route: MatchedRoute,
  authorizer: AuthorizerContext,
): APIGatewayProxyEvent {
  const parsed = parseRequest(input);
  return {
    resource: route.resource,
    path: parsed.path,
    httpMethod: input.method,
    headers: parsed.headers,
    multiValueHeaders: parsed.multiValueHeaders,
    queryStringParameters: parsed.queryStringParameters,
    multiValueQueryStringParameters: parsed.multiValueQueryStringParameters,
    pathParameters: pathParametersOf(route),
    stageVariables: null,
    requestContext: requestContext(input, parsed, route, authorizer),
    body: input.body,
    isBase64Encoded: false,
  };
}

export type AuthorizerDecision =
  | { readonly kind: "allow"; readonly context: AuthorizerContext }
  | { readonly kind: "deny" }
  | { readonly kind: "invalid"; readonly reason: string };

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped.replaceAll("*", ".*").replaceAll("?", ".")}$`);
}

function listOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((item) => typeof item === "string") : [];
}

function actionCovers(statement: Record<string, unknown>): boolean {
  const actions = listOf(statement.Action);
  return actions.some((action) => globToRegExp(action).test("execute-api:Invoke"));
}

function resourceCovers(statement: Record<string, unknown>, arn: string): boolean {
  return listOf(statement.Resource).some((resource) => globToRegExp(resource).test(arn));
}

/**
 * How API Gateway reads a REQUEST authorizer's answer for one method ARN: an explicit Deny wins,
 * otherwise an Allow must cover the ARN; anything malformed is the authorizer's fault (500).
 * Context values reach the integration as strings, and nested values are refused, as on AWS.
 */
export function evaluateAuthorizerResult(
  result: unknown,
  arn: string,
  integrationLatencyMs: number,
): AuthorizerDecision {
  if (typeof result !== "object" || result === null) {
    return { kind: "invalid", reason: "the authorizer returned no policy" };
  }
  const { principalId, policyDocument, context } = result as Partial<APIGatewayAuthorizerResult>;
  if (typeof principalId !== "string" || principalId === "") {
    return { kind: "invalid", reason: "the authorizer returned no principalId" };
  }
  const statements = (policyDocument as { Statement?: unknown } | undefined)?.Statement;
  if (!Array.isArray(statements)) {
    return { kind: "invalid", reason: "the authorizer's policyDocument has no Statement list" };
  }
  const applicable = statements.filter(
    (statement): statement is Record<string, unknown> =>
      typeof statement === "object" &&
      statement !== null &&
      actionCovers(statement) &&
      resourceCovers(statement, arn),
  );
  if (applicable.some((statement) => statement.Effect === "Deny")) return { kind: "deny" };
  if (!applicable.some((statement) => statement.Effect === "Allow")) return { kind: "deny" };

  const flattened: AuthorizerContext = {};
  for (const [key, value] of Object.entries(context ?? {})) {
    if (value === null || value === undefined) continue;
    if (typeof value === "object") {
      return { kind: "invalid", reason: `authorizer context value ${key} is not a primitive` };
    }
    flattened[key] = String(value);
  }
  return {
    kind: "allow",
    context: { ...flattened, principalId, integrationLatency: integrationLatencyMs },
  };
}
