import { createServer } from "node:net";

/**
 * Asks the OS for a free TCP port on the loopback interface. The port is released before the
 * caller binds it, so another process could take it in between: callers that spawn a server on it
 * retry with a fresh port when the bind fails.
 */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
