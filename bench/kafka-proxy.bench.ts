/**
 * `npm run bench:kafka`: kafkajs producers straight to an Apache Kafka broker and through a
 * meshsim proxy process (one listener, broker address rewriting on), same broker, same load, same
 * run. Prints messages/s, MB/s, produce latency p50/p99 (one `send` of a batch, acks=all), the
 * proxy's CPU time and peak memory, and the proxy/direct ratios; writes
 * reports/bench/kafka-<time>.json.
 *
 * Environment: BENCH_DURATION (s per path, default 5), BENCH_PRODUCERS (default 4),
 * BENCH_BATCH (messages per send, default 100), BENCH_MESSAGE_BYTES (default 1024),
 * BENCH_UPSTREAM_CONNECTIONS (the cluster's connectionsPerEndpoint, default 1; Kafka listeners
 * open one broker connection per client connection instead — the codec's upstreamAffinity — so it
 * only matters for the shared pool other protocols use).
 */
import { Kafka, logLevel } from "kafkajs";
import { startKafkaCluster } from "../fixtures/kafka/broker.ts";
import type { Bootstrap } from "../proxy/config/types.ts";
import { ProcessSupervisor } from "../simulator/runtime/process-supervisor.ts";
import { nodeScript } from "../simulator/runtime/node-command.ts";
import { allocatePort } from "../common/ports.ts";
import { cpuSeconds, peakRssMiB } from "./process-usage.ts";
import { writeBenchReport } from "./bench-report.ts";

const durationMs = Number(process.env.BENCH_DURATION ?? 5) * 1000;
const producers = Number(process.env.BENCH_PRODUCERS ?? 4);
const batch = Number(process.env.BENCH_BATCH ?? 100);
const messageBytes = Number(process.env.BENCH_MESSAGE_BYTES ?? 1024);
const upstreamConnections = Number(process.env.BENCH_UPSTREAM_CONNECTIONS ?? 1);

interface Result {
  path: string;
  messages: number;
  messagesPerSecond: number;
  mbPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

async function run(path: string, brokers: string[], topic: string): Promise<Result> {
  const kafka = new Kafka({ clientId: `bench-${path}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: producers }], waitForLeaders: true });
  await admin.disconnect();
  const value = Buffer.alloc(messageBytes, 120);
  const messages = Array.from({ length: batch }, (_, i) => ({ key: String(i), value }));
  const clients = await Promise.all(
    Array.from({ length: producers }, async () => {
      const p = kafka.producer({ allowAutoTopicCreation: false });
      await p.connect();
      return p;
    }),
  );
  // Warm up connections and metadata.
  await Promise.all(clients.map((p) => p.send({ topic, acks: -1, messages: messages.slice(0, 1) })));
  const latencies: number[] = [];
  let sent = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    clients.map(async (p, i) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await p.send({ topic, acks: -1, messages: messages.map((m) => ({ ...m, partition: i })) });
        latencies.push(performance.now() - t);
        sent += batch;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(clients.map((p) => p.disconnect()));
  latencies.sort((a, b) => a - b);
  const q = (f: number) => latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))]!;
  return { path, messages: sent, messagesPerSecond: sent / seconds, mbPerSecond: (sent * messageBytes) / seconds / 1e6, p50Ms: q(0.5), p99Ms: q(0.99) };
}

const startedAt = new Date().toISOString();
const cluster = await startKafkaCluster({ brokers: 1 });
const supervisor = new ProcessSupervisor();
try {
  const broker = cluster.nodes[0]!;
  const listenerPort = await allocatePort();
  const config: Bootstrap = {
    node: { id: "bench-kafka", cluster: "bench" },
    admin: { host: "127.0.0.1", port: 0 },
    staticResources: {
      listeners: [
        {
          name: "kafka",
          address: { host: "127.0.0.1", port: listenerPort },
          codec: "kafka",
          routeConfigName: "kafka",
          statPrefix: "kafka",
          kafkaBrokerAddresses: { [`${broker.host}:${broker.port}`]: { host: "127.0.0.1", port: listenerPort } },
        },
      ],
      clusters: [{ name: "broker-1", lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: upstreamConnections }],
      endpoints: [{ clusterName: "broker-1", endpoints: [{ host: broker.host, port: broker.port }] }],
      routes: [{ name: "kafka", routes: [{ name: "all", match: [], action: { kind: "cluster", cluster: "broker-1" } }] }],
    },
  };
  const proxy = await supervisor.start({ name: "proxy", ...nodeScript("proxy/main.ts", ["--bootstrap-json", JSON.stringify(config)]) });
  // The broker's JIT warms up during the first run: a discarded warm-up run keeps the order fair.
  await run("warm-up", cluster.bootstrap, "bench-warm-up");
  const direct = await run("direct", cluster.bootstrap, "bench-direct");
  const cpuBefore = cpuSeconds(proxy.pid);
  const viaProxy = await run("meshsim", [`127.0.0.1:${listenerPort}`], "bench-proxy");
  const proxyCpu = cpuSeconds(proxy.pid) - cpuBefore;
  const proxyRss = peakRssMiB(proxy.pid);
  // A throughput number means nothing if clients went around the proxy: every send must have
  // crossed it, and every broker address it handed out must be its own.
  const stats = (await (await fetch(`http://127.0.0.1:${Number(proxy.ready.adminPort)}/stats`)).json()) as Record<string, number>;
  const sends = Math.ceil(viaProxy.messages / batch);
  const bypass = [
    ...(stats["kafka.broker_address_unknown"] !== 0 ? [`kafka.broker_address_unknown=${stats["kafka.broker_address_unknown"]}`] : []),
    ...(stats["kafka.broker_address_unparsed"] !== 0 ? [`kafka.broker_address_unparsed=${stats["kafka.broker_address_unparsed"]}`] : []),
    ...((stats["kafka.api.Produce.rq_total"] ?? 0) < sends ? [`kafka.api.Produce.rq_total=${stats["kafka.api.Produce.rq_total"] ?? 0} < ${sends} sends`] : []),
  ];
  const ratio = viaProxy.messagesPerSecond / direct.messagesPerSecond;
  const line = (r: Result) =>
    `${r.path.padEnd(8)} ${r.messagesPerSecond.toFixed(0).padStart(8)} msg/s ${r.mbPerSecond.toFixed(1).padStart(7)} MB/s   p50 ${r.p50Ms.toFixed(2).padStart(7)} ms   p99 ${r.p99Ms.toFixed(2).padStart(7)} ms`;
  process.stdout.write(
    `Kafka produce, ${producers} producers, ${batch} x ${messageBytes} B per send, acks=all, ${durationMs / 1000} s per path, ${upstreamConnections} upstream connection(s) (Apache Kafka on the JVM, same machine)\n` +
      `${line(direct)}\n${line(viaProxy)}\n` +
      `throughput ratio meshsim/direct: ${ratio.toFixed(2)}   added p50: ${(viaProxy.p50Ms - direct.p50Ms).toFixed(2)} ms   added p99: ${(viaProxy.p99Ms - direct.p99Ms).toFixed(2)} ms\n` +
      `proxy: ${proxyCpu.toFixed(2)} s CPU during its run, peak RSS ${proxyRss.toFixed(0)} MiB\n` +
      (bypass.length === 0 ? `every send crossed the proxy; no broker address left unmapped or unparsed\n` : `PROXY BYPASSED: ${bypass.join(", ")}\n`),
  );
  if (bypass.length > 0) process.exitCode = 1;
  const title = `Kafka produce, ${producers} producers, ${batch} x ${messageBytes} B per send, acks=all, ${durationMs / 1000} s per path`;
  const columns = ["path", "msg/s", "MB/s", "p50 ms", "p99 ms"];
  const rows = [direct, viaProxy].map((r) => [r.path, Math.round(r.messagesPerSecond), r.mbPerSecond.toFixed(1), r.p50Ms.toFixed(2), r.p99Ms.toFixed(2)]);
  const file = writeBenchReport(
    {
      bench: "kafka",
      title,
      startedAt,
      tables: [
        { title: "paths", columns, rows },
        { title: "proxy", columns: ["meshsim/direct", "CPU s", "peak RSS MiB", "bypass"], rows: [[ratio.toFixed(2), proxyCpu.toFixed(2), Math.round(proxyRss), bypass.join(", ") || "none"]] },
      ],
    },
    { producers, batch, messageBytes, durationMs, direct, meshsim: viaProxy, ratio, proxyCpuSeconds: proxyCpu, proxyPeakRssMiB: proxyRss, bypass },
  );
  process.stdout.write(`written ${file}\n`);
} finally {
  await supervisor.stopAll();
  await cluster.stop();
}
