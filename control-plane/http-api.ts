/**
 * The control plane's HTTP API on 127.0.0.1, used by the simulator and by people:
 *   GET    /ready                               200 {ready: true}
 *   GET    /status                              {version, acked, pending, proxies: [...]}
 *   GET    /resources                           {resources: [{kind, apiVersion, metadata, spec, source}]}
 *   POST   /resources[?file=<name>]             body: YAML (multi-document); 200 {version, applied}
 *                                               or 400 {problems} (nothing applied)
 *   DELETE /resources/<Kind>/<namespace>/<name> 200 {version} or 404
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { InputProblem } from "../common/errors.ts";
import type { ConfigPublisher } from "./config-publisher.ts";
import { parseResources } from "./resources/parse.ts";
import { resourceKey, resourceLabel } from "./resources/resource.ts";
import { validateResources } from "./resources/validate.ts";
import type { MemoryStore } from "./sources/memory-store.ts";
import type { XdsStatus } from "./xds/xds-status.ts";
import { bindHost } from "../common/bind-host.ts";

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface HttpApiDeps {
  store: MemoryStore;
  publisher: ConfigPublisher;
  status(): XdsStatus & { acked: boolean; pending: boolean };
}

/** Validates posted YAML against the store as it would be after applying it. */
export function checkPostedResources(store: MemoryStore, text: string, file: string) {
  const parsed = parseResources(text, file);
  if (parsed.problems.length > 0) return { resources: parsed.resources, problems: parsed.problems };
  const merged = new Map(store.list().map((r) => [resourceKey(r), r]));
  for (const r of parsed.resources) merged.set(resourceKey(r), r);
  const posted = new Set(parsed.resources.map(resourceLabel));
  const problems: InputProblem[] = [];
  // Count duplicates within the request itself, which the merge above hides.
  const seen = new Set<string>();
  for (const r of parsed.resources) {
    if (seen.has(resourceKey(r))) merged.set(`${resourceKey(r)}#dup${seen.size}`, r);
    seen.add(resourceKey(r));
  }
  for (const p of validateResources([...merged.values()])) if (p.file === file && posted.has(p.resource)) problems.push(p);
  return { resources: parsed.resources, problems };
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function handle(deps: HttpApiDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const method = req.method ?? "GET";
  if (method === "GET" && url.pathname === "/ready") return send(res, 200, { ready: true });
  if (method === "GET" && url.pathname === "/status") return send(res, 200, deps.status());
  if (parts[0] !== "resources") return send(res, 404, { error: `no route for ${method} ${url.pathname}` });
  if (method === "GET" && parts.length === 1) {
    return send(res, 200, {
      resources: deps.store.list().map((r) => ({
        kind: r.kind,
        apiVersion: r.apiVersion,
        metadata: r.metadata,
        spec: r.spec,
        source: { file: r.source.file, ...r.source.locate([]) },
      })),
    });
  }
  if (method === "POST" && parts.length === 1) {
    const file = url.searchParams.get("file") ?? "POST /resources";
    const { resources, problems } = checkPostedResources(deps.store, await readBody(req), file);
    if (problems.length > 0) return send(res, 400, { problems });
    const applied = deps.store.apply(resources);
    const snapshot = await deps.publisher.settled();
    return send(res, 200, { version: snapshot.version, applied });
  }
  if (method === "DELETE" && parts.length === 4) {
    const [, kind, namespace, name] = parts as [string, string, string, string];
    if (!deps.store.delete(kind, namespace, name)) return send(res, 404, { error: `no ${kind}/${namespace}/${name}` });
    const snapshot = await deps.publisher.settled();
    return send(res, 200, { version: snapshot.version, deleted: `${kind}/${namespace}/${name}` });
  }
  return send(res, 405, { error: `${method} not supported on ${url.pathname}` });
}

export async function startHttpApi(deps: HttpApiDeps, port: number): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    handle(deps, req, res).catch((err: Error) => {
      if (!res.headersSent) send(res, 500, { error: err.message });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, bindHost(), () => resolve());
  });
  const address = server.address();
  return { port: typeof address === "object" && address ? address.port : port, server };
}
