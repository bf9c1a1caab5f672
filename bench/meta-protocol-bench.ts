/**
 * The shared harness of the meta-protocol proxy benchmarks (`npm run bench`, `bench:dubbo`):
 * calls straight to a fixture server, through a meshsim proxy with a plain route, and through a
 * proxy with every policy configured (authorization, local rate limit, fault at 0%, mirror at 0%,
 * retries, timeout, outlier detection, circuit breakers), with the same client load in one run.
 * Prints requests/s, p50/p99, each proxy's CPU share and peak memory, and the ratios; writes
 * reports/bench/<codec>-<time>.json.
 *
 * Environment: BENCH_DURATION (s, default 5), BENCH_CONNECTIONS (default 64), BENCH_RATE
 * (open-loop requests/s, default 3000), BENCH_PROXY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Bootstrap, ClusterConfig, ListenerConfig, RouteEntry } from "../proxy/config/types.ts";
import { ProcessSupervisor, type ManagedProcess } from "../simulator/runtime/process-supervisor.ts";
import { nodeScript } from "../simulator/runtime/node-command.ts";
import { runTraffic, type ExecutorSpec } from "../simulator/traffic/executor.ts";
import type { ProtocolDriver } from "../simulator/traffic/protocol-driver.ts";
import type { TrafficResult } from "../simulator/traffic/traffic-result.ts";
import { cpuSeconds, peakRssMiB } from "./process-usage.ts";

const durationMs = Number(process.env.BENCH_DURATION ?? 5) * 1000;
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const rate = Number(process.env.BENCH_RATE ?? 3000);
const extraNodeArgs = (process.env.BENCH_PROXY_NODE_ARGS ?? "").split(" ").filter(Boolean);

export interface MetaProtocolBench {
  /** Codec name, also the report file's prefix. */
  codec: string;
  /** Fixture server entry point and its arguments (it must print its ready line with `port`). */
  server: { script: string; args: string[] };
  driver: ProtocolDriver;
  driverOptions?: Record<string, unknown>;
  /** What the report's first line says about the setup. */
  title: string;
}

function bootstrap(codec: string, serverPort: number, withPolicies: boolean): Bootstrap {
  const listener: ListenerConfig = { name: "hello", address: { host: "127.0.0.1", port: 0 }, codec, routeConfigName: "hello", statPrefix: "hello" };
  const cluster: ClusterConfig = { name: "hello", lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 4 };
  const route: RouteEntry = { name: "all", match: [], action: { kind: "cluster", cluster: "hello" } };
  if (withPolicies) {
    listener.authorization = [{ name: "allow-hello", action: "ALLOW", rules: [[{ name: "method", kind: "prefix", value: "say" }]] }];
    listener.localRateLimit = { tokenBucket: { maxTokens: 1e9, tokensPerFill: 1e9, fillIntervalMs: 1000 }, conditions: [] };
    cluster.outlierDetection = { consecutiveErrors: 5, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50 };
    cluster.circuitBreakers = { maxConnections: 1024, maxPendingRequests: 100_000, maxRequests: 100_000, maxRetries: 3 };
    route.fault = { abort: { percentage: 0, errorKind: "fault_abort" }, delay: { percentage: 0, fixedDelayMs: 10 } };
    route.mirror = { cluster: "hello", percentage: 0 };
    route.timeoutMs = 5000;
    route.retries = { attempts: 2, perTryTimeoutMs: 2000, retryOn: ["connect-failure", "reset"] };
    route.requestMutation = [{ key: "x-bench", value: "1" }];
  }
  return {
    node: { id: withPolicies ? "bench-policies" : "bench-plain", cluster: "bench" },
    admin: { host: "127.0.0.1", port: 0 },
    staticResources: {
      listeners: [listener],
      clusters: [cluster],
      endpoints: [{ clusterName: "hello", endpoints: [{ host: "127.0.0.1", port: serverPort }] }],
      routes: [{ name: "hello", routes: [route] }],
    },
  };
}

async function startProxy(supervisor: ProcessSupervisor, name: string, config: Bootstrap): Promise<{ process: ManagedProcess; port: number }> {
  const command = nodeScript("proxy/main.ts", ["--bootstrap-json", JSON.stringify(config)]);
  const p = await supervisor.start({ name, command: command.command, args: [...extraNodeArgs, ...command.args] });
  return { process: p, port: (p.ready.listeners as Record<string, { port: number }>).hello!.port };
}

/**
 * One meta-protocol benchmark: direct to the fixture server, through a proxy with a plain route,
 * and through a proxy with every policy configured, with the same client load in one run.
 */
export async function runMetaProtocolBench(bench: MetaProtocolBench): Promise<void> {
  const supervisor = new ProcessSupervisor();
  try {
    const server = await supervisor.start({ name: "server", ...nodeScript(bench.server.script, bench.server.args) });
    const serverPort = Number(server.ready.port);
    const plain = await startProxy(supervisor, "proxy-plain", bootstrap(bench.codec, serverPort, false));
    const policies = await startProxy(supervisor, "proxy-policies", bootstrap(bench.codec, serverPort, true));

    const drive = (port: number, executor: ExecutorSpec) =>
      runTraffic({
        step: "bench",
        from: "bench",
        to: "hello",
        driver: bench.driver,
        address: { host: "127.0.0.1", port },
        call: { method: "sayHello", args: ["bench"] },
        executor,
        connections: { mode: "pooled", size: connections },
        timeoutMs: 10_000,
        driverOptions: bench.driverOptions ?? {},
      });
    const measured = async (port: number, executor: ExecutorSpec, pid?: number) => {
      const cpu0 = pid ? cpuSeconds(pid) : 0;
      const result = await drive(port, executor);
      return { result, cpu: pid ? cpuSeconds(pid) - cpu0 : 0 };
    };

    const warmUp: ExecutorSpec = { type: "constant-concurrency", concurrency: 8, durationMs: 1000 };
    for (const port of [serverPort, plain.port, policies.port]) await drive(port, warmUp); // JIT warm-up

    const closed: ExecutorSpec = { type: "constant-concurrency", concurrency: connections, durationMs };
    const open: ExecutorSpec = { type: "constant-arrival-rate", rate, durationMs };
    const runs = [
      { name: "direct, closed loop", ...(await measured(serverPort, closed)) },
      { name: "proxy, closed loop", ...(await measured(plain.port, closed, plain.process.pid)) },
      { name: "proxy+policies, closed loop", ...(await measured(policies.port, closed, policies.process.pid)) },
      { name: `direct, open ${rate}/s`, ...(await measured(serverPort, open)) },
      { name: `proxy, open ${rate}/s`, ...(await measured(plain.port, open, plain.process.pid)) },
      { name: `proxy+policies, open ${rate}/s`, ...(await measured(policies.port, open, policies.process.pid)) },
    ];
    const peak = { plain: peakRssMiB(plain.process.pid), policies: peakRssMiB(policies.process.pid) };

    const row = (name: string, r: TrafficResult, cpu: number) =>
      `${name.padEnd(30)} ${r.rate.toFixed(0).padStart(8)} ${r.latency.p50Ms.toFixed(2).padStart(8)} ${r.latency.p99Ms.toFixed(2).padStart(8)} ${String(r.requests - r.successes).padStart(7)} ${cpu ? `${((cpu / (r.durationMs / 1000)) * 100).toFixed(0)}%`.padStart(10) : "".padStart(10)}`;
    const [dc, pc, fc, dopen, popen, fopen] = runs.map((r) => r.result) as [TrafficResult, TrafficResult, TrafficResult, TrafficResult, TrafficResult, TrafficResult];
    const lines = [
      `${bench.title}, ${connections} connections, ${durationMs / 1000}s per run`,
      `${"run".padEnd(30)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"errors".padStart(7)} ${"proxy CPU".padStart(10)}`,
      ...runs.map((r) => row(r.name, r.result, r.cpu)),
      "",
      `throughput proxy/direct (closed loop): ${(pc.rate / dc.rate).toFixed(2)}; with policies: ${(fc.rate / dc.rate).toFixed(2)}`,
      `added p99 at ${rate}/s: ${(popen.latency.p99Ms - dopen.latency.p99Ms).toFixed(2)} ms; with policies: ${(fopen.latency.p99Ms - dopen.latency.p99Ms).toFixed(2)} ms`,
      `peak RSS: proxy ${peak.plain.toFixed(1)} MiB, proxy+policies ${peak.policies.toFixed(1)} MiB`,
    ];
    process.stdout.write(lines.join("\n") + "\n");
    const outDir = join("reports", "bench");
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `${bench.codec}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, JSON.stringify({ title: bench.title, connections, durationMs, rate, runs, peakRssMiB: peak }, null, 2));
    process.stdout.write(`written: ${file}\n`);
  } finally {
    await supervisor.stopAll();
  }
}

/** Runs a bench from a script's top level, exiting non-zero on failure. */
export function runFromScript(bench: MetaProtocolBench): void {
  runMetaProtocolBench(bench).catch((err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
