/**
 * `npm run bench`: Thrift calls straight to the server and through one meshsim proxy, with the
 * same client load in the same run. Prints requests/s, p50/p99, the proxy's CPU time and peak
 * memory, and the ratios; writes reports/bench/thrift-<time>.json.
 *
 * Environment: BENCH_DURATION (s, default 5), BENCH_CONNECTIONS (default 64),
 * BENCH_RATE (open-loop requests/s, default 3000), BENCH_TRANSPORT, BENCH_PROTOCOL.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Bootstrap } from "../proxy/config/types.ts";
import { ProcessSupervisor } from "../simulator/runtime/process-supervisor.ts";
import { nodeScript } from "../simulator/runtime/node-command.ts";
import { runTraffic, type ExecutorSpec } from "../simulator/traffic/executor.ts";
import { thriftDriver } from "../simulator/traffic/thrift-driver.ts";
import type { TrafficResult } from "../simulator/traffic/traffic-result.ts";
import { cpuSeconds, peakRssMiB } from "./process-usage.ts";

const durationMs = Number(process.env.BENCH_DURATION ?? 5) * 1000;
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const rate = Number(process.env.BENCH_RATE ?? 3000);
const transport = process.env.BENCH_TRANSPORT ?? "framed";
const protocol = process.env.BENCH_PROTOCOL ?? "binary";

async function main(): Promise<void> {
  const supervisor = new ProcessSupervisor();
  try {
    const server = await supervisor.start({
      name: "server",
      ...nodeScript("fixtures/thrift/server.ts", ["--service", "hello", "--version", "v1", "--instance", "hello-v1-0", "--port", "0", "--transport", transport, "--protocol", protocol]),
    });
    const serverPort = Number(server.ready.port);
    const bootstrap: Bootstrap = {
      node: { id: "bench-proxy", cluster: "bench" },
      admin: { host: "127.0.0.1", port: 0 },
      staticResources: {
        listeners: [{ name: "hello", address: { host: "127.0.0.1", port: 0 }, codec: "thrift", routeConfigName: "hello", statPrefix: "hello" }],
        clusters: [{ name: "hello", lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 4 }],
        endpoints: [{ clusterName: "hello", endpoints: [{ host: "127.0.0.1", port: serverPort }] }],
        routes: [{ name: "hello", routes: [{ name: "all", match: [], action: { kind: "cluster", cluster: "hello" } }] }],
      },
    };
    const proxyCommand = nodeScript("proxy/main.ts", ["--bootstrap-json", JSON.stringify(bootstrap)]);
    // BENCH_PROXY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the proxy.
    const extraNodeArgs = (process.env.BENCH_PROXY_NODE_ARGS ?? "").split(" ").filter(Boolean);
    const proxy = await supervisor.start({ name: "proxy", command: proxyCommand.command, args: [...extraNodeArgs, ...proxyCommand.args] });
    const proxyPort = (proxy.ready.listeners as Record<string, { port: number }>).hello!.port;

    const drive = (port: number, executor: ExecutorSpec) =>
      runTraffic({
        step: "bench",
        from: "bench",
        to: "hello",
        driver: thriftDriver,
        address: { host: "127.0.0.1", port },
        call: { method: "sayHello", args: ["bench"] },
        executor,
        connections: { mode: "pooled", size: connections },
        timeoutMs: 10_000,
        driverOptions: { transport, protocol },
      });

    const closed: ExecutorSpec = { type: "constant-concurrency", concurrency: connections, durationMs };
    const open: ExecutorSpec = { type: "constant-arrival-rate", rate, durationMs };
    await drive(serverPort, { type: "constant-concurrency", concurrency: 8, durationMs: 1000 }); // warm up the JITs
    await drive(proxyPort, { type: "constant-concurrency", concurrency: 8, durationMs: 1000 });

    const directClosed = await drive(serverPort, closed);
    let cpu0 = cpuSeconds(proxy.pid);
    const proxiedClosed = await drive(proxyPort, closed);
    const proxyCpuClosed = cpuSeconds(proxy.pid) - cpu0;
    const directOpen = await drive(serverPort, open);
    cpu0 = cpuSeconds(proxy.pid);
    const proxiedOpen = await drive(proxyPort, open);
    const proxyCpuOpen = cpuSeconds(proxy.pid) - cpu0;
    const peak = peakRssMiB(proxy.pid);

    const row = (name: string, r: TrafficResult) =>
      `${name.padEnd(30)} ${r.rate.toFixed(0).padStart(8)} ${r.latency.p50Ms.toFixed(2).padStart(8)} ${r.latency.p99Ms.toFixed(2).padStart(8)} ${String(r.requests - r.successes).padStart(7)}`;
    const lines = [
      `thrift ${transport}/${protocol}, ${connections} connections, ${durationMs / 1000}s per run`,
      `${"run".padEnd(30)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"errors".padStart(7)}`,
      row("direct, closed loop", directClosed),
      row("via proxy, closed loop", proxiedClosed),
      row(`direct, open loop ${rate}/s`, directOpen),
      row(`via proxy, open loop ${rate}/s`, proxiedOpen),
      "",
      `throughput ratio proxy/direct (closed loop): ${(proxiedClosed.rate / directClosed.rate).toFixed(2)}`,
      `added p99 at ${rate}/s open loop: ${(proxiedOpen.latency.p99Ms - directOpen.latency.p99Ms).toFixed(2)} ms`,
      `proxy CPU: ${proxyCpuClosed.toFixed(2)} s over the closed-loop run (${((proxyCpuClosed / (proxiedClosed.durationMs / 1000)) * 100).toFixed(0)}% of a core), ${proxyCpuOpen.toFixed(2)} s over the open-loop run`,
      `proxy peak RSS: ${peak.toFixed(1)} MiB`,
    ];
    process.stdout.write(lines.join("\n") + "\n");
    const outDir = join("reports", "bench");
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `thrift-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(
      file,
      JSON.stringify({ transport, protocol, connections, durationMs, rate, directClosed, proxiedClosed, directOpen, proxiedOpen, proxyCpuClosed, proxyCpuOpen, proxyPeakRssMiB: peak }, null, 2),
    );
    process.stdout.write(`written: ${file}\n`);
  } finally {
    await supervisor.stopAll();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
