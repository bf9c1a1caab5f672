import { createServer, type Server } from "node:http";
import type { Proxy } from "../proxy.ts";
import { bindHost } from "../../common/bind-host.ts";

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Loopback-only HTTP admin: `/ready`, `/stats` (JSON), `/stats/prometheus`, `/config_dump`,
 * `/listeners` (bound addresses), `/flush_access_logs` (POST: answers once every access log line
 * written so far is in its file). `ready()` tells whether the first configuration arrived.
 */
export async function startAdminServer(proxy: Proxy, port: number, ready: () => boolean, xdsStatus: () => unknown): Promise<AdminServer> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://admin");
    const send = (status: number, body: string, type = "application/json") => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    switch (url.pathname) {
      case "/ready":
        return ready() ? send(200, "LIVE\n", "text/plain") : send(503, "PRE_INITIALIZING\n", "text/plain");
      case "/stats":
        return send(200, JSON.stringify(proxy.stats.snapshot(), null, 2));
      case "/stats/prometheus":
        return send(200, proxy.stats.prometheus() + proxy.requestMetrics.prometheus(), "text/plain; version=0.0.4");
      case "/config_dump":
        return send(200, JSON.stringify({ ...(proxy.configDump() as object), xds: xdsStatus() }, null, 2));
      case "/listeners":
        return send(200, JSON.stringify(proxy.listeners.addresses()));
      case "/flush_access_logs":
        if (req.method !== "POST") return send(405, JSON.stringify({ error: "POST /flush_access_logs" }));
        return void proxy.flushAccessLogs().then(() => send(200, "{}"));
      default:
        return send(404, JSON.stringify({ error: `unknown admin path ${url.pathname}` }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, bindHost(), () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
