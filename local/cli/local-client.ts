/**
 * Talks to a running local mode over HTTP (the `/_local/*` endpoints), for commands that act on
 * the server `npm start` runs in another terminal.
 */
import { LocalModeError } from "../errors.js";

/** The error every CLI command gives when nothing answers at the local mode's address. */
export function serverUnreachable(url: string, error: unknown): LocalModeError {
  const code = (error as { cause?: { code?: string } }).cause?.code;
  const detail = code && code !== "ECONNREFUSED" ? ` (${code})` : "";
  return new LocalModeError(
    `no churnwatch server at ${url}: start it with \`npm start\`${detail}`,
    1,
  );
}

/** What a running local mode answered: status, the body (JSON where it parses), Retry-After. */
export interface LocalAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly retryAfter: string | null;
}

/**
 * One request with the API key to a running local mode, for the long-running commands (replay,
 * simulate) that read the status themselves. An unreachable server and a refused key are
 * LocalModeErrors (exit 1) with what to do about them.
 */
export async function callLocalMode(
  target: { readonly url: string; readonly apiKey: string; readonly fetch: typeof fetch },
  method: "GET" | "POST" | "PUT",
  path: string,
  body: unknown,
  timeoutMs: number,
): Promise<LocalAnswer> {
  let response: Response;
  try {
    response = await target.fetch(`${target.url}${path}`, {
      method,
      headers: {
        "x-api-key": target.apiKey,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw serverUnreachable(target.url, error);
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (response.status === 401) {
    throw new LocalModeError(
      `the server at ${target.url} refused the API key: pass --api-key or set CHURNWATCH_API_KEY`,
      1,
    );
  }
  return { status: response.status, body: parsed, retryAfter: response.headers.get("retry-after") };
}

export class LocalClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async request<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers: {
          "x-api-key": this.apiKey,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw serverUnreachable(this.baseUrl, error);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? null : JSON.parse(text);
    } catch {
      throw new LocalModeError(
        `${this.baseUrl} answered ${response.status} with something that is not JSON: is it a churnwatch server?`,
        1,
      );
    }
    if (response.status === 401) {
      throw new LocalModeError(
        `the server at ${this.baseUrl} refused the API key: pass --api-key or set CHURNWATCH_API_KEY`,
        1,
      );
    }
    if (!response.ok) {
      const detail = parsed as { message?: string; error?: string } | null;
      throw new LocalModeError(
        `${method} ${path} failed with ${response.status}: ${[detail?.message, detail?.error]
          .filter(Boolean)
          .join(": ")}`,
        1,
      );
    }
    return parsed as T;
  }
}
