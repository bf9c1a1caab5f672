/**
 * The sidecar proxy process: `meshsim proxy --bootstrap <file.json>` (or `--bootstrap-json`),
 * with `--codec <name>=<module>[,…]` for codecs not built in (the module exports the factory as
 * `codec` or default, as codec-test modules do), and `--concurrency <N>` to serve with N worker
 * processes (default 1: this process serves). Starts the admin endpoint, subscribes to the
 * control plane over ADS and serves what it gets.
 */
import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import { announceReady, exitWithParent, parseFlags } from "../common/child-process-protocol.ts";
import type { Bootstrap } from "./config/types.ts";
import { startAdminServer } from "./admin/admin-server.ts";
import { proxyAdminView } from "./admin/admin-view.ts";
import { defaultCodecRegistry, Proxy } from "./proxy.ts";
import type { CodecFactory } from "./codec/codec.ts";
import { loadCodecModuleFile } from "./codec/codec-module.ts";
import type { SourceWorkload } from "./stats/request-metrics.ts";
import { startAdsClient } from "./xds/ads-client.ts";
import { failAsWorker, serveAsWorker } from "./workers/proxy-worker.ts";
import { ProxyWorkers } from "./workers/proxy-workers.ts";

export async function runProxyProcess(argv: string[]): Promise<void> {
  const { flags } = parseFlags(argv);
  const text = flags["bootstrap-json"] ?? (flags.bootstrap ? readFileSync(flags.bootstrap, "utf8") : undefined);
  if (!text) throw new Error("proxy: --bootstrap <file> or --bootstrap-json <json> is required");
  const bootstrap = JSON.parse(text) as Bootstrap;
  const concurrency = Number(flags.concurrency ?? 1);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`proxy: --concurrency wants a whole number of workers ≥ 1, found "${flags.concurrency}"`);
  if (cluster.isWorker) {
    const proxy = await startProxy(bootstrap, flags.codec).catch((err: Error) => err);
    return proxy instanceof Error ? failAsWorker(proxy) : serveAsWorker(proxy);
  }
  if (concurrency > 1) return runPrimary(bootstrap, concurrency);

  const proxy = await startProxy(bootstrap, flags.codec);
  const ads = bootstrap.xds ? startAdsClient(bootstrap, proxy) : { close() {}, status: () => ({ mode: "static" }) };
  const admin = await startAdminServer(proxyAdminView(proxy), bootstrap.admin.port, () => ads.status());
  exitWithParent(async () => {
    ads.close();
    await admin.close();
    await proxy.close();
  });
  announceReady({ adminPort: admin.port, nodeId: bootstrap.node.id, listeners: proxy.listeners.addresses() });
}

/** `--concurrency N`: N workers serve the listeners; this process holds the xDS stream and the admin endpoint. */
async function runPrimary(bootstrap: Bootstrap, concurrency: number): Promise<void> {
  const workers = await ProxyWorkers.start(concurrency);
  const ads = bootstrap.xds ? startAdsClient(bootstrap, workers) : { close() {}, status: () => ({ mode: "static" }) };
  const admin = await startAdminServer(workers.adminView(), bootstrap.admin.port, () => ads.status());
  exitWithParent(async () => {
    ads.close();
    await admin.close();
    await workers.close();
  });
  announceReady({ adminPort: admin.port, nodeId: bootstrap.node.id, listeners: workers.listeners, workers: workers.size, pids: workers.pids });
}

/** A Proxy as the bootstrap describes it, with its static resources applied. */
async function startProxy(bootstrap: Bootstrap, codecFlag: string | undefined): Promise<Proxy> {
  const codecs = defaultCodecRegistry();
  for (const [name, factory] of await loadCodecFlags(codecFlag)) codecs.register(name, factory);
  const proxy = new Proxy({
    redirects: bootstrap.redirects,
    codecs,
    workload: sourceWorkload(bootstrap.node),
    ...(bootstrap.accessLogStdoutPath !== undefined && { accessLogStdoutPath: bootstrap.accessLogStdoutPath }),
    ...(bootstrap.tracing !== undefined && { tracing: bootstrap.tracing }),
  });
  const statics = bootstrap.staticResources;
  if (statics) {
    proxy.setClusters(statics.clusters ?? []);
    proxy.setEndpoints(statics.endpoints ?? []);
    proxy.setRoutes(statics.routes ?? []);
    await proxy.setListeners(statics.listeners ?? []);
  }
  return proxy;
}

/** `lpx=/path/codec.ts,other=…` → the factories the modules export. */
async function loadCodecFlags(flag: string | undefined): Promise<Array<[string, CodecFactory]>> {
  const out: Array<[string, CodecFactory]> = [];
  for (const entry of flag ? flag.split(",") : []) {
    const eq = entry.indexOf("=");
    if (eq <= 0) throw new Error(`proxy: --codec wants <name>=<module>, found "${entry}"`);
    out.push([entry.slice(0, eq), (await loadCodecModuleFile(entry.slice(eq + 1))).factory]);
  }
  return out;
}

/** The node's identity as Istio's node metadata names it (WORKLOAD_NAME, NAMESPACE), and meshsim's VERSION. */
function sourceWorkload(node: Bootstrap["node"]): SourceWorkload {
  const m = node.metadata ?? {};
  return { name: m.WORKLOAD_NAME ?? node.cluster, namespace: m.NAMESPACE ?? "default", version: m.VERSION ?? "unknown" };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runProxyProcess(process.argv.slice(2)).catch((err: Error) => {
    process.stderr.write(`meshsim proxy: ${err.message}\n`);
    process.exit(2);
  });
}
