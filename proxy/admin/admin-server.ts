import { createServer, type Server } from "node:http";
import type { AdminView } from "./admin-view.ts";
import { bindHost } from "../../common/bind-host.ts";

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Loopback-only HTTP admin: `/ready`, `/stats` (JSON), `/stats/prometheus`, `/config_dump`,
 * `/listeners` (bound addresses), `/flush_access_logs` (POST: answers once every access log line
 * written so far is in its file), over one proxy or the workers of one (`AdminView`).
 */
export async function startAdminServer(view: AdminView, port: number, xdsStatus: () => unknown): Promise<AdminServer> {
  const server: Server = createServer((req, res) => {
    answer(req.method, new URL(req.url ?? "/", "http://admin").pathname).then(
      ({ status, body, type }) => {
        res.writeHead(status, { "content-type": type });
        res.end(body);
      },
      (err: Error) => {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: err.message }));
      },
    );
  });
  async function answer(method: string | undefined, path: string): Promise<{ status: number; body: string; type: string }> {
    const json = (status: number, body: unknown) => ({ status, body: typeof body === "string" ? body : JSON.stringify(body, null, 2), type: "application/json" });
    const text = (status: number, body: string, type = "text/plain") => ({ status, body, type });
    switch (path) {
      case "/ready":
        return (await view.ready()) ? text(200, "LIVE\n") : text(503, "PRE_INITIALIZING\n");
      case "/stats":
        return json(200, await view.stats());
      case "/stats/prometheus":
        return text(200, await view.prometheus(), "text/plain; version=0.0.4");
      case "/config_dump":
        return json(200, { ...(await view.configDump()), xds: xdsStatus() });
      case "/listeners":
        return json(200, JSON.stringify(await view.listeners()));
      case "/flush_access_logs":
        if (method !== "POST") return json(405, { error: "POST /flush_access_logs" });
        await view.flushAccessLogs();
        return json(200, "{}");
      default:
        return json(404, { error: `unknown admin path ${path}` });
    }
  }
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
