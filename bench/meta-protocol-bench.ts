/**
 * The shared harness of the meta-protocol proxy benchmarks (`npm run bench`, `bench:dubbo`):
 * calls straight to a fixture server, through a meshsim proxy with a plain route, through a
 * proxy with every policy configured (authorization, local rate limit, fault at 0%, mirror at 0%,
 * retries, timeout, outlier detection, circuit breakers), and through Envoy with its native
 * filter (when installed), with the same client load in one run, in interleaved rounds.
 * Prints requests/s, p50/p99, each proxy's CPU share, CPU per 1000 req/s and peak memory, and the
 * ratios; writes reports/bench/<codec>-<time>.json. Added latency is each round's proxy
 * percentile minus the direct one of the same round, the median over rounds, so that load
 * drifting between rounds does not land on one row only.
 *
 * Environment: BENCH_DURATION (s, default 5), BENCH_CONNECTIONS (default 64), BENCH_RATE
 * (open-loop requests/s, default 3000; a comma-separated list runs each), BENCH_ROUNDS (default 3),
 * BENCH_MODES ("closed,open" by default; "open" skips the closed loop), BENCH_PROXY_NODE_ARGS
 * (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), BENCH_COMPARE_CHECKOUT (another checkout of
 * meshsim, e.g. a worktree of main: its proxy gets a plain-route row "before" in the same rounds,
 * for before/after numbers from one run), BENCH_CONCURRENCY (default 1: meshsim's proxies run
 * `--concurrency N` workers and Envoy N worker threads; CPU and memory are summed over workers).
 */
import type { Bootstrap, ClusterConfig, ListenerConfig, RouteEntry } from "../proxy/config/types.ts";
import { ProcessSupervisor, type ManagedProcess } from "../simulator/runtime/process-supervisor.ts";
import { nodeScript } from "../simulator/runtime/node-command.ts";
import { runTraffic, type ExecutorSpec } from "../simulator/traffic/executor.ts";
import type { ProtocolDriver } from "../simulator/traffic/protocol-driver.ts";
import type { TrafficResult } from "../simulator/traffic/traffic-result.ts";
import { cpuSeconds, peakRssMiB } from "./process-usage.ts";
import { bundledEntryIn } from "./checkout-entry.ts";
import { writeBenchReport } from "./bench-report.ts";
import { startEnvoyBaseline } from "./envoy-baseline.ts";
import { envoyPath } from "../simulator/runtime/envoy/binary.ts";

const durationMs = Number(process.env.BENCH_DURATION ?? 5) * 1000;
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const rates = (process.env.BENCH_RATE ?? "3000").split(",").map(Number);
const modeNames = (process.env.BENCH_MODES ?? "closed,open").split(",");
const compareCheckout = process.env.BENCH_COMPARE_CHECKOUT;
const extraNodeArgs = (process.env.BENCH_PROXY_NODE_ARGS ?? "").split(" ").filter(Boolean);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Workers of meshsim's proxies (`--concurrency`) and Envoy's worker threads; the "before" checkout keeps one. */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 1);

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

async function startProxy(supervisor: ProcessSupervisor, name: string, config: Bootstrap, checkout?: string): Promise<{ process: ManagedProcess; port: number; pids: number[] }> {
  const base = checkout ? { command: process.execPath, args: [bundledEntryIn(checkout, "proxy/main.ts")] } : nodeScript("proxy/main.ts", CONCURRENCY > 1 ? ["--concurrency", String(CONCURRENCY)] : []);
  const command = { command: base.command, args: [...base.args, "--bootstrap-json", JSON.stringify(config)] };
  const p = await supervisor.start({ name, command: command.command, args: [...extraNodeArgs, ...command.args] });
  // With --concurrency the work is done by the workers: their CPU and memory count too.
  const workers = Array.isArray(p.ready.pids) ? (p.ready.pids as number[]) : [];
  return { process: p, port: (p.ready.listeners as Record<string, { port: number }>).hello!.port, pids: [p.pid, ...workers] };
}

/**
 * One meta-protocol benchmark: direct to the fixture server, through a proxy with a plain route,
 * and through a proxy with every policy configured, with the same client load in one run.
 */
export async function runMetaProtocolBench(bench: MetaProtocolBench): Promise<void> {
  const startedAt = new Date().toISOString();
  const supervisor = new ProcessSupervisor();
  try {
    const server = await supervisor.start({ name: "server", ...nodeScript(bench.server.script, bench.server.args) });
    const serverPort = Number(server.ready.port);
    const plain = await startProxy(supervisor, "proxy-plain", bootstrap(bench.codec, serverPort, false));
    const policies = await startProxy(supervisor, "proxy-policies", bootstrap(bench.codec, serverPort, true));
    const before = compareCheckout ? await startProxy(supervisor, "proxy-before", bootstrap(bench.codec, serverPort, false), compareCheckout) : undefined;
    const envoy = envoyPath() ? await startEnvoyBaseline(supervisor, bench.codec as "thrift" | "dubbo", serverPort, { concurrency: CONCURRENCY }) : undefined;

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
    const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const measured = async (port: number, executor: ExecutorSpec, pids: number[]) => {
      const cpu0 = cpuOf(pids);
      const result = await drive(port, executor);
      return { result, cpu: cpuOf(pids) - cpu0 };
    };

    const targets = [
      { name: "direct", port: serverPort, pids: [] },
      { name: "meshsim", port: plain.port, pids: plain.pids },
      { name: "meshsim+policies", port: policies.port, pids: policies.pids },
      ...(before ? [{ name: "before", port: before.port, pids: before.pids }] : []),
      ...(envoy ? [{ name: "envoy", port: envoy.port, pids: [envoy.envoyPid] }] : []),
    ];
    const warmUp: ExecutorSpec = { type: "constant-concurrency", concurrency: 8, durationMs: 1000 };
    for (const t of targets) await drive(t.port, warmUp); // JIT and connection warm-up

    // Rounds interleave the targets and rotate their order (A B C D, B C D A, ...), so that no
    // target always runs first, last or after the same neighbour on a machine whose load drifts;
    // each row is the median round.
    const closedName = "closed loop";
    const modes: Array<{ mode: string; executor: ExecutorSpec }> = [
      ...(modeNames.includes("closed") ? [{ mode: closedName, executor: { type: "constant-concurrency", concurrency: connections, durationMs } as ExecutorSpec }] : []),
      ...(modeNames.includes("open") ? rates.map((rate) => ({ mode: `open ${rate}/s`, executor: { type: "constant-arrival-rate", rate, durationMs } as ExecutorSpec })) : []),
    ];
    const openNames = modes.filter((m) => m.mode !== closedName).map((m) => m.mode);
    const runs: Array<{ name: string; target: string; mode: string; result: TrafficResult; cpu: number }> = [];
    /** Per open mode and target: each round's added p50 and p99 over direct in that round. */
    const addedByRound = new Map<string, Array<{ p50: number; p99: number }>>();
    for (const { mode, executor } of modes) {
      const rounds = new Map<string, Array<{ result: TrafficResult; cpu: number }>>(targets.map((t) => [t.name, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < targets.length; i++) {
          const t = targets[(round + i) % targets.length]!;
          rounds.get(t.name)!.push(await measured(t.port, executor, t.pids));
        }
        if (mode === closedName) continue;
        const direct = rounds.get("direct")![round]!.result.latency;
        for (const t of targets) {
          const l = rounds.get(t.name)![round]!.result.latency;
          const key = `${mode}|${t.name}`;
          addedByRound.set(key, [...(addedByRound.get(key) ?? []), { p50: l.p50Ms - direct.p50Ms, p99: l.p99Ms - direct.p99Ms }]);
        }
      }
      for (const t of targets) {
        const sorted = rounds.get(t.name)!.sort((a, b) => (mode === closedName ? a.result.rate - b.result.rate : a.result.latency.p99Ms - b.result.latency.p99Ms));
        runs.push({ name: `${t.name}, ${mode}`, target: t.name, mode, ...sorted[Math.floor(sorted.length / 2)]! });
      }
    }
    const peak: Record<string, number> = Object.fromEntries(targets.filter((t) => t.pids.length > 0).map((t) => [t.name, t.pids.reduce((sum, pid) => sum + peakRssMiB(pid), 0)]));

    const get = (target: string, mode: string) => runs.find((r) => r.target === target && r.mode === mode)!;
    const cpuPer1000 = (r: { result: TrafficResult; cpu: number }) => (r.cpu ? (r.cpu / (r.result.durationMs / 1000) / (r.result.rate / 1000)).toFixed(3) : "");
    const row = (r: (typeof runs)[number]) =>
      `${r.name.padEnd(30)} ${r.result.rate.toFixed(0).padStart(8)} ${r.result.latency.p50Ms.toFixed(2).padStart(8)} ${r.result.latency.p99Ms.toFixed(2).padStart(8)} ${String(r.result.requests - r.result.successes).padStart(7)} ${r.cpu ? `${((r.cpu / (r.result.durationMs / 1000)) * 100).toFixed(0)}%`.padStart(10) : "".padStart(10)} ${cpuPer1000(r).padStart(14)} ${peak[r.target] !== undefined ? peak[r.target]!.toFixed(0).padStart(9) : "".padStart(9)}`;
    const hasClosed = modes.some((m) => m.mode === closedName);
    const ratio = (target: string) => (hasClosed ? `throughput × direct ${(get(target, closedName).result.rate / get("direct", closedName).result.rate).toFixed(2)}` : "");
    const added = (target: string, mode: string) => {
      const rounds = addedByRound.get(`${mode}|${target}`) ?? [];
      return { p50: median(rounds.map((r) => r.p50)), p99: median(rounds.map((r) => r.p99)) };
    };
    const signed = (ms: number) => `${ms >= 0 ? "+" : ""}${ms.toFixed(2)}`;
    const addedLine = (target: string) => openNames.map((mode) => `added p50 / p99 at ${mode.slice(5)}: ${signed(added(target, mode).p50)} / ${signed(added(target, mode).p99)} ms`).join("; ");
    /** A proxy's added latency over Envoy's in the same rounds (≤ 1 is the goal); undefined when Envoy's added nothing measurable. */
    const overEnvoy = (target: string, mode: string) => {
      const a = added(target, mode);
      const e = added("envoy", mode);
      const ratioOf = (mine: number, envoys: number) => (envoys > 0.01 ? `${(mine / envoys).toFixed(2)}×` : "n/a");
      return `${mode}: added p50 ${ratioOf(a.p50, e.p50)} (${signed(a.p50)} vs ${signed(e.p50)} ms), p99 ${ratioOf(a.p99, e.p99)} (${signed(a.p99)} vs ${signed(e.p99)} ms)`;
    };
    const title = `${bench.title}, ${connections} connections, ${durationMs / 1000}s per run, median of ${ROUNDS} interleaved rounds${CONCURRENCY > 1 ? `, concurrency ${CONCURRENCY} (meshsim workers, Envoy worker threads)` : ""}`;
    const summary = [
      ...targets.filter((t) => t.name !== "direct").map((t) => `${t.name.padEnd(17)} ${[ratio(t.name), addedLine(t.name)].filter(Boolean).join("; ")}`),
      ...(envoy
        ? [
            ...(hasClosed ? [`meshsim / envoy throughput (closed loop): ${(get("meshsim", closedName).result.rate / get("envoy", closedName).result.rate).toFixed(2)}`] : []),
            ...targets.filter((t) => t.name !== "direct" && t.name !== "envoy" && openNames.length > 0).map((t) => `${t.name} / envoy ${openNames.map((mode) => overEnvoy(t.name, mode)).join("; ")}`),
          ]
        : ["envoy row skipped: Envoy is not installed (npx meshsim doctor --fix)"]),
    ];
    const lines = [
      title,
      `${"run".padEnd(30)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"errors".padStart(7)} ${"proxy CPU".padStart(10)} ${"vCPU/1000rps".padStart(14)} ${"peak MiB".padStart(9)}`,
      ...runs.map(row),
      "",
      ...summary,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    const addedMs = Object.fromEntries(
      [...addedByRound.keys()].map((key) => {
        const [mode, target] = key.split("|") as [string, string];
        return [key, added(target, mode)];
      }),
    );
    const proxyTargets = targets.filter((t) => t.name !== "direct");
    const rateOf = (mode: string) => Number(mode.slice(5, -2));
    const curve = (percentile: "p50" | "p99") => ({
      title: `added ${percentile}, open loop`,
      xUnit: "/s",
      yLabel: `added ${percentile} ms`,
      series: proxyTargets.map((t) => ({ name: t.name, points: openNames.map((mode): [number, number] => [rateOf(mode), added(t.name, mode)[percentile]]) })),
    });
    const file = writeBenchReport(
      {
        bench: bench.codec,
        title,
        startedAt,
        tables: [
          {
            title: "runs (median round)",
            columns: ["run", "req/s", "p50 ms", "p99 ms", "errors", "vCPU per 1000 req/s", "peak RSS MiB"],
            rows: runs.map((r) => [
              r.name,
              Math.round(r.result.rate),
              r.result.latency.p50Ms,
              r.result.latency.p99Ms,
              r.result.requests - r.result.successes,
              cpuPer1000(r),
              peak[r.target] !== undefined ? Math.round(peak[r.target]!) : "",
            ]),
          },
          {
            title: "ratios",
            columns: ["summary"],
            rows: lines
              .slice(runs.length + 3)
              .filter((l) => l !== "")
              .map((l) => [l]),
          },
        ],
        curves: openNames.length > 0 ? [curve("p50"), curve("p99")] : [],
      },
      { title: bench.title, connections, durationMs, rates, rounds: ROUNDS, runs, addedMs, peakRssMiB: peak },
    );
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

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
