import { createServer } from "node:net";

/**
 * A free TCP port on 127.0.0.1, found by binding port 0. Used only where a port must be known
 * before the process that binds it starts (sidecar redirects); everything else binds port 0
 * itself and reports the port.
 */
export function allocatePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
