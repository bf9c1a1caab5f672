/**
 * `npm run bench:control-plane`: N services with routes, M simulated proxies connected over
 * ADS (in one or a few child processes); after each MetaRouter change, the time until every
 * proxy has ACKed the new version of every type (p50, p99, max), the control plane's CPU time
 * and its peak memory. The control plane runs in this process; the proxies do not.
 *
 * Environment: BENCH_SERVICES (default 1000), BENCH_PROXIES (default 2000), BENCH_MODE
 * (sotw | delta, default sotw), BENCH_CHANGES (default 5), BENCH_CLIENT_PROCESSES (default 1),
 * BENCH_DEBOUNCE_MS (default 10), BENCH_MAX_INFLIGHT (large responses in flight, default 16).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { ConfigPublisher } from "../../control-plane/config-publisher.ts";
import { parseResources } from "../../control-plane/resources/index.ts";
import { MemoryStore } from "../../control-plane/sources/memory-store.ts";
import { PushGate } from "../../control-plane/xds/ads-stream.ts";
import { startXdsServer } from "../../control-plane/xds/server.ts";
import { SnapshotCache } from "../../control-plane/xds/snapshot-cache.ts";
import { XdsStatusTracker } from "../../control-plane/xds/xds-status.ts";
import { cpuSeconds, peakRssMiB } from "../process-usage.ts";
import { metaRouterYaml, workloadYaml } from "./workload.ts";

const services = Number(process.env.BENCH_SERVICES ?? 1000);
const proxies = Number(process.env.BENCH_PROXIES ?? 2000);
const mode = process.env.BENCH_MODE ?? "sotw";
const changes = Number(process.env.BENCH_CHANGES ?? 5);
const clientProcesses = Number(process.env.BENCH_CLIENT_PROCESSES ?? 1);
const debounceMs = Number(process.env.BENCH_DEBOUNCE_MS ?? 10);
const TYPES = 4;

/** Records, for one target version, when each proxy has ACKed it for every type. */
class TimingTracker extends XdsStatusTracker {
  target: string | undefined;
  start = 0;
  readonly done = new Map<string, number>();
  private readonly partial = new Map<string, Set<string>>();

  expect(version: string): void {
    this.target = version;
    this.start = performance.now();
    this.done.clear();
    this.partial.clear();
  }

  override acked(id: string, typeUrl: string, version: string): void {
    super.acked(id, typeUrl, version);
    if (version !== this.target || this.done.has(id)) return;
    let types = this.partial.get(id);
    if (!types) this.partial.set(id, (types = new Set()));
    types.add(typeUrl);
    if (types.size === TYPES) this.done.set(id, performance.now() - this.start);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function until(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function startClients(port: number): { children: ChildProcess[]; ready: Promise<void>; cpu: Promise<number[]> } {
  const script = fileURLToPath(new URL("./simulated-proxies.ts", import.meta.url));
  const children: ChildProcess[] = [];
  const readies: Promise<void>[] = [];
  const cpus: Promise<number>[] = [];
  for (let p = 0; p < clientProcesses; p++) {
    const count = Math.floor(proxies / clientProcesses) + (p < proxies % clientProcesses ? 1 : 0);
    const child = spawn(process.execPath, ["--import", "tsx", script, String(port), String(count), String(services), mode, `proxy-${p}`], { stdio: ["pipe", "pipe", "inherit"] });
    children.push(child);
    let buffer = "";
    let onReady: () => void;
    let onCpu: (n: number) => void;
    readies.push(new Promise((r) => (onReady = r)));
    cpus.push(new Promise((r) => (onCpu = r)));
    child.stdout!.on("data", (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = JSON.parse(buffer.slice(0, nl)) as { ready?: boolean; cpuSeconds?: number };
        buffer = buffer.slice(nl + 1);
        if (line.ready) onReady();
        if (line.cpuSeconds !== undefined) onCpu(line.cpuSeconds);
      }
    });
  }
  return { children, ready: Promise.all(readies).then(() => undefined), cpu: Promise.all(cpus) };
}

async function main(): Promise<void> {
  const store = new MemoryStore();
  const cache = new SnapshotCache();
  const tracker = new TimingTracker();
  const publisher = new ConfigPublisher(store, cache, debounceMs);
  const t0 = performance.now();
  const parsed = parseResources(workloadYaml(services), "bench.yaml");
  if (parsed.problems.length > 0) throw new Error(parsed.problems[0]!.message);
  store.apply(parsed.resources);
  const first = publisher.publishNow();
  const translateMs = performance.now() - t0;
  const xds = await startXdsServer({ port: 0, cache, tracker, gate: new PushGate(Number(process.env.BENCH_MAX_INFLIGHT ?? 16)) });
  const setupRss = process.memoryUsage().rss / 2 ** 20;
  let connectPeakRss = 0;
  const sampler = setInterval(() => (connectPeakRss = Math.max(connectPeakRss, process.memoryUsage().rss / 2 ** 20)), 50);

  const cpuStart = cpuSeconds(process.pid);
  const connectStart = performance.now();
  tracker.expect(first.version);
  tracker.start = connectStart;
  const clients = startClients(xds.port);
  await clients.ready;
  await until(() => tracker.done.size === proxies, 120_000, "initial ACKs");
  const connectMs = performance.now() - connectStart;
  const connectCpu = cpuSeconds(process.pid) - cpuStart;
  clearInterval(sampler);
  (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  console.log(`after GC: heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB, external ${(mem.external / 2 ** 20).toFixed(0)} MiB, arrayBuffers ${(mem.arrayBuffers / 2 ** 20).toFixed(0)} MiB`);
  console.log(`RSS after setup ${setupRss.toFixed(0)} MiB, peak while proxies connected ${connectPeakRss.toFixed(0)} MiB, now ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  console.log(`${services} services, ${proxies} proxies (${mode}): initial configuration ACKed by all in ${(connectMs / 1000).toFixed(1)} s, control plane CPU ${connectCpu.toFixed(1)} s`);

  // Let the connection storm's garbage be collected before timing changes.
  await new Promise((r) => setTimeout(r, 2000));
  const runs: Array<{ p50: number; p99: number; max: number; cpu: number; publishMs: number }> = [];
  for (let c = 0; c < changes; c++) {
    await new Promise((r) => setTimeout(r, 300));
    const cpuBefore = cpuSeconds(process.pid);
    const version = String(Number(cache.current().version) + 1);
    tracker.expect(version);
    const service = (c * 37) % services;
    store.apply(parseResources(metaRouterYaml(service, 10 + c), "change.yaml").resources);
    await until(() => cache.current().version === version, 10_000, "publish");
    const publishMs = performance.now() - tracker.start;
    await until(() => tracker.done.size === proxies, 30_000, `ACKs of version ${version}`);
    const times = [...tracker.done.values()].sort((a, b) => a - b);
    const run = { p50: percentile(times, 50), p99: percentile(times, 99), max: times[times.length - 1]!, cpu: cpuSeconds(process.pid) - cpuBefore, publishMs };
    runs.push(run);
    console.log(`change ${c + 1}: snapshot after ${run.publishMs.toFixed(0)} ms; all ACKed: p50 ${run.p50.toFixed(0)} ms, p99 ${run.p99.toFixed(0)} ms, max ${run.max.toFixed(0)} ms; CPU ${run.cpu.toFixed(2)} s`);
  }
  for (const child of clients.children) child.stdin!.end();
  const clientCpu = (await clients.cpu).reduce((a, b) => a + b, 0);
  await xds.close();
  publisher.close();
  const peak = peakRssMiB(process.pid);
  const worst = (k: "p50" | "p99" | "max") => Math.max(...runs.map((r) => r[k]));
  const summary = {
    services, proxies, mode, changes, debounceMs,
    initialTranslateMs: Math.round(translateMs),
    initialConnectMs: Math.round(connectMs),
    initialConnectCpuSeconds: Number(connectCpu.toFixed(2)),
    rssAfterSetupMiB: Math.round(setupRss),
    peakRssWhileConnectingMiB: Math.round(connectPeakRss),
    changeRuns: runs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v.toFixed(1))]))),
    worstP50Ms: Math.round(worst("p50")), worstP99Ms: Math.round(worst("p99")), worstMaxMs: Math.round(worst("max")),
    controlPlaneCpuSecondsTotal: Number(cpuSeconds(process.pid).toFixed(2)),
    controlPlanePeakRssMiB: Math.round(peak),
    clientsCpuSeconds: Number(clientCpu.toFixed(2)),
  };
  console.log(`worst over ${changes} changes: p50 ${summary.worstP50Ms} ms, p99 ${summary.worstP99Ms} ms, max ${summary.worstMaxMs} ms; control plane peak RSS ${summary.controlPlanePeakRssMiB} MiB, CPU total ${summary.controlPlaneCpuSecondsTotal} s (clients ${summary.clientsCpuSeconds} s)`);
  console.log(`targets: p99 <= 1000 ms ${summary.worstP99Ms <= 1000 ? "met" : "MISSED"}, peak < 500 MiB ${summary.controlPlanePeakRssMiB < 500 ? "met" : "MISSED"}`);
  const dir = join("reports", "bench");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `control-plane-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err);
    process.exit(1);
  },
);
