/**
 * A fixture's own count of the calls it served, over HTTP on loopback (`GET /stats` →
 * `{"received.<method>": n}`), so scenarios can check what arrived at a service rather than
 * what a proxy says it sent. The port goes into the fixture's ready line as `statsPort`.
 */
import { createServer } from "node:http";

export interface CallCountsEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

export function serveCallCounts(calls: Readonly<Record<string, number>>): Promise<CallCountsEndpoint> {
  const server = createServer((req, res) => {
    if (req.url !== "/stats") {
      res.writeHead(404).end();
      return;
    }
    const body: Record<string, number> = {};
    for (const [method, n] of Object.entries(calls)) body[`received.${method}`] = n;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({
        port: typeof address === "object" && address !== null ? address.port : 0,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
