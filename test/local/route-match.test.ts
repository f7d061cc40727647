import { describe, expect, it } from "vitest";
import { routes } from "../../lib/topology.js";
import { matchPath, matchRoute } from "../../local/http/route-match.js";

describe("matchRoute against the topology's routes", () => {
  it("matches a literal path", () => {
    const match = matchRoute(routes, "POST", "/v1/events");
    expect(match).toMatchObject({
      kind: "match",
      route: { handler: "ingest" },
      pathParameters: {},
    });
  });

  it("extracts and URL-decodes path parameters", () => {
    const match = matchRoute(routes, "PUT", "/v1/users/u%3A1/contact");
    expect(match).toMatchObject({
      kind: "match",
      route: { path: "/v1/users/{userId}/contact", handler: "contact" },
      pathParameters: { userId: "u:1" },
    });
  });

  it("tells a wrong method on a known path (405, with the allowed ones) from an unknown path (404)", () => {
    expect(matchRoute(routes, "PATCH", "/v1/users/u1")).toEqual({
      kind: "method-not-allowed",
      allowed: ["GET", "DELETE"],
    });
    expect(matchRoute(routes, "GET", "/v1/events")).toEqual({
      kind: "method-not-allowed",
      allowed: ["POST"],
    });
    expect(matchRoute(routes, "GET", "/v1/nothing")).toEqual({ kind: "not-found" });
    expect(matchRoute(routes, "GET", "/v1/users")).toEqual({ kind: "not-found" });
    expect(matchRoute(routes, "GET", "/v1/users/a/b")).toEqual({ kind: "not-found" });
  });

  it("needs a non-empty segment for a parameter, and tolerates one trailing slash", () => {
    expect(matchPath("/v1/users/{userId}", "/v1/users/")).toBeUndefined();
    expect(matchPath("/v1/users/{userId}", "/v1/users//")).toBeUndefined();
    expect(matchPath("/v1/events", "/v1/events/")).toEqual({});
  });

  it("reports broken %-encoding instead of throwing", () => {
    expect(matchRoute(routes, "GET", "/v1/users/%E0%A4%A")).toEqual({ kind: "bad-path" });
  });
});
