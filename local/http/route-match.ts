/**
 * Matches a request path against the topology's API Gateway resource paths (`/v1/users/{userId}`).
 * Like API Gateway, a `{param}` matches exactly one non-empty path segment, and its value reaches
 * the handler URL-decoded in `pathParameters`.
 */
export interface RouteLike {
  readonly method: string;
  readonly path: string;
}

export type RouteMatch<R extends RouteLike> =
  | {
      readonly kind: "match";
      readonly route: R;
      readonly pathParameters: Readonly<Record<string, string>>;
    }
  | { readonly kind: "method-not-allowed"; readonly allowed: readonly string[] }
  | { readonly kind: "not-found" }
  | { readonly kind: "bad-path" };

function segmentsOf(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  return trimmed.split("/").slice(1);
}

const PARAMETER = /^\{([A-Za-z0-9_]+)\}$/;

/** Path parameters when `path` fits `template`, `undefined` otherwise; throws on bad %-escapes. */
export function matchPath(
  template: string,
  path: string,
): Readonly<Record<string, string>> | undefined {
  const expected = segmentsOf(template);
  const actual = segmentsOf(path);
  if (expected.length !== actual.length) return undefined;
  const parameters: Record<string, string> = {};
  for (let index = 0; index < expected.length; index++) {
    const want = expected[index] as string;
    const got = actual[index] as string;
    const parameter = PARAMETER.exec(want)?.[1];
    if (parameter) {
      if (got === "") return undefined;
      parameters[parameter] = decodeURIComponent(got);
    } else if (want !== got) {
      return undefined;
    }
  }
  return parameters;
}

export function matchRoute<R extends RouteLike>(
  routes: readonly R[],
  method: string,
  path: string,
): RouteMatch<R> {
  const allowed: string[] = [];
  for (const route of routes) {
    let parameters: Readonly<Record<string, string>> | undefined;
    try {
      parameters = matchPath(route.path, path);
    } catch {
      return { kind: "bad-path" };
    }
    if (!parameters) continue;
    if (route.method === method) return { kind: "match", route, pathParameters: parameters };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { kind: "method-not-allowed", allowed } : { kind: "not-found" };
}
