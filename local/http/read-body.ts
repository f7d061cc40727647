/**
 * Reads a request body up to a limit. Past the limit it stops keeping bytes, so a client cannot
 * make the server buffer more than the API accepts; the caller answers 413 and `discardRest`
 * drains what is still coming, so the client reads the 413 instead of a reset connection.
 */
import type { IncomingMessage } from "node:http";

export type BodyResult =
  | { readonly kind: "ok"; readonly body: Buffer }
  | { readonly kind: "too-large" };

/** After this much discarded input the connection is cut instead of drained. */
const MAX_DISCARD_BYTES = 64 * 1_048_576;

export function readBody(request: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.resolve({ kind: "too-large" });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
      request.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        chunks.length = 0;
        resolve({ kind: "too-large" });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve({ kind: "ok", body: Buffer.concat(chunks) });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      if (!request.complete) {
        cleanup();
        reject(new Error("client closed the connection before the body was complete"));
      }
    };
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onError);
    request.on("close", onClose);
  });
}

/** Throws away the rest of a body we will not read, up to a bound. */
export function discardRest(request: IncomingMessage): void {
  if (request.complete) return;
  let discarded = 0;
  request.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARD_BYTES) request.socket.destroy();
  });
  request.on("error", () => {});
  request.resume();
}
