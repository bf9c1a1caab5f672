/**
 * Redis through meshsim vs redis-server directly vs twemproxy (nutcracker) vs Envoy's redis_proxy, in one run:
 * `redis-benchmark` GET and SET at pipeline 1 and 16 with 50 connections against each path.
 * Prints requests/s, p50/p99, the proxy's CPU seconds and peak RSS, and the ratios.
 *
 * Paths are interleaved in BENCH_ROUNDS rounds (default 3), each row the median round.
 * Environment: REQUESTS (default 200000), CLIENTS (50), PIPELINES ("1,16"), TESTS ("get,set"),
 * SKIP_TWEMPROXY=1, BENCH_PROXY_NODE_ARGS (extra node flags for the proxy process, split on spaces:
 * "--cpu-prof --cpu-prof-dir=/tmp/prof" profiles it). Needs redis-server, redis-benchmark and nutcracker (apt-get install -y
 * redis-server redis-tools nutcracker).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRedis } from "../fixtures/redis/redis-server.ts";
import type { Bootstrap } from "../proxy/config/types.ts";
import { nodeScript } from "../simulator/runtime/node-command.ts";
import { allocatePort } from "../common/ports.ts";
import { cpuSeconds, peakRssMiB } from "./process-usage.ts";
import { DEFAULT_REDIS_LISTENER } from "../proxy/protocols/redis/listener-state.ts";
import { ProcessSupervisor } from "../simulator/runtime/process-supervisor.ts";
import { envoyPath } from "../simulator/runtime/envoy/binary.ts";
import { startEnvoyBaseline } from "./envoy-baseline.ts";
import { writeBenchReport } from "./bench-report.ts";

const REQUESTS = Number(process.env.REQUESTS ?? 200_000);
const CLIENTS = Number(process.env.CLIENTS ?? 50);
const PIPELINES = (process.env.PIPELINES ?? "1,16").split(",").map(Number);
const TESTS = (process.env.TESTS ?? "get,set").split(",");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Row {
  path: string;
  test: string;
  pipeline: number;
  rps: number;
  p50: number;
  p99: number;
  cpu?: number;
  rssMiB?: number;
}

function benchmark(port: number, test: string, pipeline: number): { rps: number; p50: number; p99: number } {
  const r = spawnSync("redis-benchmark", ["-h", "127.0.0.1", "-p", String(port), "-c", String(CLIENTS), "-n", String(REQUESTS), "-P", String(pipeline), "-t", test, "-r", "100000", "--csv"], {
    encoding: "utf8",
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const line = r.stdout
    .trim()
    .split("\n")
    .find((l) => l.startsWith(`"${test.toUpperCase()}`));
  if (!line) throw new Error(`no result line in ${r.stdout}`);
  const f = line.split(",").map((x) => x.replace(/"/g, ""));
  return { rps: Number(f[1]), p50: Number(f[4]), p99: Number(f[6]) };
}

async function waitPort(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: "127.0.0.1", port });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startMeshsim(backend: number): Promise<{ port: number; child: ChildProcess }> {
  const port = await allocatePort();
  const name = "redis.default.svc.cluster.local_6379";
  const bootstrap: Bootstrap = {
    node: { id: "bench~127.0.0.1~bench.default~default.svc.cluster.local", cluster: "bench" },
    admin: { host: "127.0.0.1", port: 0 },
    redirects: { [name]: { host: "127.0.0.1", port } },
    staticResources: {
      clusters: [{ name: "redis", lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 1 }],
      endpoints: [{ clusterName: "redis", endpoints: [{ host: "127.0.0.1", port: backend }] }],
      listeners: [
        {
          name,
          address: { host: "127.0.0.1", port },
          codec: "redis",
          routeConfigName: name,
          statPrefix: "redis",
          redis: { ...DEFAULT_REDIS_LISTENER, catchAll: { cluster: "redis", mirrors: [] } },
        },
      ],
    },
  };
  const { command, args } = nodeScript("proxy/main.ts", ["--bootstrap-json", JSON.stringify(bootstrap)]);
  const nodeArgs = (process.env.BENCH_PROXY_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
  const child = spawn(command, [...nodeArgs, ...args], { stdio: ["pipe", "ignore", "inherit"] });
  await waitPort(port);
  return { port, child };
}

async function startTwemproxy(backend: number): Promise<{ port: number; child: ChildProcess; dir: string }> {
  const port = await allocatePort();
  const stats = await allocatePort();
  const dir = mkdtempSync(join(tmpdir(), "meshsim-twemproxy-"));
  const conf = join(dir, "nutcracker.yml");
  writeFileSync(conf, `bench:\n  listen: 127.0.0.1:${port}\n  hash: fnv1a_64\n  distribution: ketama\n  redis: true\n  server_connections: 1\n  servers:\n   - 127.0.0.1:${backend}:1\n`);
  const child = spawn("nutcracker", ["-c", conf, "-s", String(stats), "-a", "127.0.0.1", "-v", "2"], { stdio: "ignore" });
  await waitPort(port);
  return { port, child, dir };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    process.kill(child.pid!, "SIGTERM");
  });
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const redis = await startRedis();
  const meshsim = await startMeshsim(redis.port);
  const twemproxy = process.env.SKIP_TWEMPROXY
    ? undefined
    : await startTwemproxy(redis.port).catch((e: Error) => {
        process.stderr.write(`twemproxy skipped: ${e.message} (apt-get install -y nutcracker)\n`);
        return undefined;
      });
  const supervisor = new ProcessSupervisor();
  const envoy = envoyPath() ? await startEnvoyBaseline(supervisor, "redis", redis.port) : undefined;
  if (!envoy) process.stderr.write("envoy skipped: not installed (npx meshsim doctor --fix)\n");
  const proxies = [
    { path: "meshsim", port: meshsim.port, pid: meshsim.child.pid! },
    ...(twemproxy ? [{ path: "twemproxy", port: twemproxy.port, pid: twemproxy.child.pid! }] : []),
    ...(envoy ? [{ path: "envoy", port: envoy.port, pid: envoy.envoyPid }] : []),
  ];
  const rows: Row[] = [];
  try {
    for (const pipeline of PIPELINES) {
      for (const test of TESTS) {
        // Rounds interleave the paths (direct, meshsim, twemproxy, envoy, direct, ...) so that load
        // drifting on the machine does not favour one; each row is the median round by req/s.
        const rounds = new Map<string, Row[]>();
        for (let round = 0; round < ROUNDS; round++) {
          const take = (row: Row) => rounds.set(row.path, [...(rounds.get(row.path) ?? []), row]);
          take({ path: "direct", test, pipeline, ...benchmark(redis.port, test, pipeline) });
          for (const p of proxies) {
            const cpu0 = cpuSeconds(p.pid);
            take({ path: p.path, test, pipeline, ...benchmark(p.port, test, pipeline), cpu: cpuSeconds(p.pid) - cpu0, rssMiB: peakRssMiB(p.pid) });
          }
        }
        for (const list of rounds.values()) rows.push(list.sort((a, b) => a.rps - b.rps)[Math.floor(list.length / 2)]!);
      }
    }
  } finally {
    await supervisor.stopAll();
    await stop(meshsim.child);
    if (twemproxy) {
      await stop(twemproxy.child);
      rmSync(twemproxy.dir, { recursive: true, force: true });
    }
    await redis.stop();
  }
  const find = (path: string, test: string, pipeline: number) => rows.find((r) => r.path === path && r.test === test && r.pipeline === pipeline);
  const title = `redis-benchmark: ${REQUESTS} requests, ${CLIENTS} connections, random keys from 100k, median of ${ROUNDS} interleaved rounds`;
  const columns = ["test", "pipeline", "path", "req/s", "p50 ms", "p99 ms", "proxy CPU s", "proxy CPU µs/req", "proxy peak RSS MiB", "vs direct", "meshsim/twemproxy", "meshsim/envoy"];
  const cells = rows.map((r) => {
    const direct = find("direct", r.test, r.pipeline)!;
    const tw = find("twemproxy", r.test, r.pipeline);
    const ev = find("envoy", r.test, r.pipeline);
    return [
      r.test.toUpperCase(),
      r.pipeline,
      r.path,
      Math.round(r.rps),
      r.p50.toFixed(3),
      r.p99.toFixed(3),
      r.cpu?.toFixed(2) ?? "",
      r.cpu === undefined ? "" : ((r.cpu / REQUESTS) * 1e6).toFixed(1),
      r.rssMiB?.toFixed(0) ?? "",
      (r.rps / direct.rps).toFixed(2),
      r.path === "meshsim" && tw ? (r.rps / tw.rps).toFixed(2) : "",
      r.path === "meshsim" && ev ? (r.rps / ev.rps).toFixed(2) : "",
    ];
  });
  const lines = [title, `| ${columns.join(" | ")} |`, `|${columns.map(() => "---|").join("")}`, ...cells.map((c) => `| ${c.join(" | ")} |`)];
  process.stdout.write(`${lines.join("\n")}\n`);
  const file = writeBenchReport(
    { bench: "redis", title, startedAt, tables: [{ title: "paths (median round)", columns, rows: cells }] },
    { requests: REQUESTS, clients: CLIENTS, rounds: ROUNDS, rows },
  );
  process.stdout.write(`written: ${file}\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exit(1);
});
