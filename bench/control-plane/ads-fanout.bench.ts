/**
 * `npm run bench:control-plane`: N services with routes, M simulated proxies connected over
 * ADS (in one or a few child processes); after each MetaRouter change, the time until every
 * proxy has ACKed the new version of every type (p50, p99, max), the server's CPU time and its
 * peak memory — for meshsim's control plane and for an xDS server built on go-control-plane
 * serving the same resources (meshsim's encoded bytes) to the same proxies. The two run in
 * alternating rounds (meshsim, go, meshsim, go, ...), each in a fresh process, and the table
 * gives the median of each figure over the rounds and the ratio meshsim / go.
 *
 * Environment: BENCH_SERVICES (default 1000), BENCH_PROXIES (default 2000), BENCH_MODE
 * (sotw | delta, default sotw; the baseline speaks sotw only), BENCH_CHANGES (default 5),
 * BENCH_ROUNDS (rounds per server, default 2), BENCH_CLIENT_PROCESSES (default 1),
 * BENCH_STREAMS_PER_CONNECTION (default 1, one connection per proxy as sidecars have),
 * BENCH_DEBOUNCE_MS (default 10), BENCH_MAX_INFLIGHT (large responses in flight, default 16),
 * BENCH_SERVERS (default "meshsim,go"), BENCH_MAX_SERVER_RSS_MIB (a server growing past it is stopped
 * and its round reported as failed, default 8192: go-control-plane marshals the whole
 * configuration for every proxy at once), BENCH_COMPARE_CHECKOUT (another checkout of meshsim, say
 * a worktree of the commit before a change: its control plane runs as a third server, "before"),
 * BENCH_SERVER_NODE_FLAGS (Node flags for meshsim's server processes, e.g. "--cpu-prof --cpu-prof-dir=DIR").
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { projectPath } from "../../simulator/runtime/node-command.ts";
import { cpuSeconds, peakRssMiB, rssMiB } from "../process-usage.ts";
import { buildGoBaseline } from "./go-baseline.ts";
import { dumpSnapshots } from "./snapshot-dump.ts";
import { bundledEntryIn } from "../checkout-entry.ts";
import { writeBenchReport } from "../bench-report.ts";

const services = Number(process.env.BENCH_SERVICES ?? 1000);
const proxies = Number(process.env.BENCH_PROXIES ?? 2000);
const mode = process.env.BENCH_MODE ?? "sotw";
const changes = Number(process.env.BENCH_CHANGES ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const clientProcesses = Number(process.env.BENCH_CLIENT_PROCESSES ?? 1);
const debounceMs = Number(process.env.BENCH_DEBOUNCE_MS ?? 10);
const maxInflight = Number(process.env.BENCH_MAX_INFLIGHT ?? 16);
const maxServerRssMiB = Number(process.env.BENCH_MAX_SERVER_RSS_MIB ?? 8192);
const wanted = new Set((process.env.BENCH_SERVERS ?? "meshsim,go").split(","));
/** Node flags for meshsim's server processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them. */
const serverNodeFlags = (process.env.BENCH_SERVER_NODE_FLAGS ?? "").split(" ").filter((f) => f !== "");
const INITIAL_TIMEOUT_MS = 300_000;
const CHANGE_TIMEOUT_MS = 60_000;

/** How to start one server and tell it to apply change number `c`. */
interface ServerKind {
  name: string;
  command: string;
  args: string[];
  change: (c: number) => string;
}

interface Round {
  initialMs: number;
  initialCpuSeconds: number;
  /** Over every proxy of every change. */
  changeP50Ms: number;
  changeP99Ms: number;
  worstChangeP99Ms: number;
  changeMaxMs: number;
  changeCpuSeconds: number;
  peakRssMiB: number;
  clientsCpuSeconds: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The JSON lines a child prints, one at a time, each awaited with a deadline. */
function jsonLines(child: ChildProcess, name: string): (timeoutMs: number, what: string) => Promise<Record<string, unknown>> {
  const queue: Array<Record<string, unknown>> = [];
  let waiter: ((line: Record<string, unknown>) => void) | undefined;
  let exited: string | undefined;
  createInterface({ input: child.stdout! }).on("line", (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    if (waiter) waiter(line);
    else queue.push(line);
  });
  child.on("exit", (code, signal) => (exited = `${name} exited (${signal ?? code})`));
  return (timeoutMs, what) => {
    if (queue.length > 0) return Promise.resolve(queue.shift()!);
    return new Promise((resolve, reject) => {
      const poll = setInterval(() => exited && fail(new Error(`${exited} while waiting for ${what}`)), 100);
      const timer = setTimeout(() => fail(new Error(`${name}: timed out waiting for ${what}`)), timeoutMs);
      const fail = (err: Error) => {
        clearInterval(poll);
        clearTimeout(timer);
        waiter = undefined;
        reject(err);
      };
      waiter = (line) => {
        clearInterval(poll);
        clearTimeout(timer);
        waiter = undefined;
        resolve(line);
      };
    });
  };
}

function startClients(port: number): { children: ChildProcess[]; cpu: Array<Promise<number>> } {
  const script = fileURLToPath(new URL("./simulated-proxies.ts", import.meta.url));
  const children: ChildProcess[] = [];
  const cpus: Promise<number>[] = [];
  for (let p = 0; p < clientProcesses; p++) {
    const count = Math.floor(proxies / clientProcesses) + (p < proxies % clientProcesses ? 1 : 0);
    const child = spawn(process.execPath, ["--import", "tsx", script, String(port), String(count), String(services), mode, `proxy-${p}`], { stdio: ["pipe", "pipe", "inherit"] });
    children.push(child);
    const next = jsonLines(child, "simulated proxies");
    cpus.push(
      (async () => {
        for (;;) {
          const line = await next(INITIAL_TIMEOUT_MS + changes * CHANGE_TIMEOUT_MS, "client CPU time");
          if (typeof line.cpuSeconds === "number") return line.cpuSeconds;
        }
      })().catch(() => NaN), // a round that failed reports its own error
    );
  }
  return { children, cpu: cpus };
}

async function measure(kind: ServerKind): Promise<Round> {
  const server = spawn(kind.command, kind.args, { stdio: ["pipe", "pipe", "inherit"] });
  const pid = server.pid!;
  const next = jsonLines(server, kind.name);
  let clients: ReturnType<typeof startClients> | undefined;
  let overLimit = false;
  const guard = setInterval(() => {
    if (rssMiB(pid) <= maxServerRssMiB) return;
    overLimit = true;
    server.kill("SIGKILL");
  }, 250);
  try {
    const { port } = (await next(60_000, "its port")) as { port: number };
    const cpuStart = cpuSeconds(pid);
    const connectStart = performance.now();
    clients = startClients(port);
    await next(INITIAL_TIMEOUT_MS, "initial ACKs");
    const initialMs = performance.now() - connectStart;
    const initialCpuSeconds = cpuSeconds(pid) - cpuStart;
    // Let the connection storm's garbage be collected before timing changes.
    await new Promise((r) => setTimeout(r, 2000));
    const all: number[] = [];
    const p99s: number[] = [];
    const cpuBefore = cpuSeconds(pid);
    for (let c = 0; c < changes; c++) {
      await new Promise((r) => setTimeout(r, 300));
      server.stdin!.write(`${kind.change(c)}\n`);
      const { times } = (await next(CHANGE_TIMEOUT_MS, `ACKs of change ${c + 1}`)) as { times: number[] };
      times.sort((a, b) => a - b);
      p99s.push(percentile(times, 99));
      all.push(...times);
      console.log(
        `  ${kind.name} change ${c + 1}: ACKed by all: p50 ${percentile(times, 50).toFixed(0)} ms, p99 ${percentile(times, 99).toFixed(0)} ms, max ${times[times.length - 1]!.toFixed(0)} ms`,
      );
    }
    const changeCpuSeconds = cpuSeconds(pid) - cpuBefore;
    const peak = peakRssMiB(pid);
    for (const child of clients.children) child.stdin!.end();
    const clientsCpuSeconds = (await Promise.all(clients.cpu)).reduce((a, b) => a + b, 0);
    all.sort((a, b) => a - b);
    return {
      initialMs,
      initialCpuSeconds,
      changeP50Ms: percentile(all, 50),
      changeP99Ms: percentile(all, 99),
      worstChangeP99Ms: Math.max(...p99s),
      changeMaxMs: all[all.length - 1]!,
      changeCpuSeconds,
      peakRssMiB: peak,
      clientsCpuSeconds,
    };
  } catch (err) {
    if (overLimit) throw new Error(`${kind.name}: resident memory above ${maxServerRssMiB} MiB, stopped (BENCH_MAX_SERVER_RSS_MIB)`);
    throw err;
  } finally {
    clearInterval(guard);
    for (const child of clients?.children ?? []) if (child.exitCode === null) child.kill();
    server.stdin!.end();
    if (server.exitCode === null && server.signalCode === null) await new Promise((r) => server.once("exit", r));
  }
}

async function main(): Promise<void> {
  const kinds: ServerKind[] = [];
  const serverArgs = [String(proxies), String(services), String(debounceMs), String(maxInflight)];
  const compare = process.env.BENCH_COMPARE_CHECKOUT;
  if (compare)
    kinds.push({
      name: "before",
      command: process.execPath,
      args: [...serverNodeFlags, bundledEntryIn(compare, "bench/control-plane/meshsim-server.ts"), ...serverArgs],
      change: (c) => `change ${c}`,
    });
  if (wanted.has("meshsim")) {
    kinds.push({
      name: "meshsim",
      command: process.execPath,
      args: [...serverNodeFlags, bundledEntryIn(projectPath(""), "bench/control-plane/meshsim-server.ts"), ...serverArgs],
      change: (c) => `change ${c}`,
    });
  }
  let dumpDir: string | undefined;
  let skipped: string | undefined;
  if (wanted.has("go")) {
    const go = mode === "sotw" ? buildGoBaseline() : { skipped: "the go-control-plane baseline speaks state of the world only (BENCH_MODE=sotw)" };
    if ("skipped" in go) skipped = go.skipped;
    else {
      dumpDir = mkdtempSync(join(tmpdir(), "meshsim-cp-bench-"));
      const files = dumpSnapshots(services, changes, dumpDir);
      kinds.push({ name: "go-control-plane", command: go.binary, args: [String(proxies), files[0]!], change: (c) => `set ${files[c + 1]}` });
    }
  }
  if (skipped) console.log(`go-control-plane: ${skipped}`);
  const loadBefore = loadavg();
  const startedAt = new Date().toISOString();
  console.log(
    `${services} services, ${proxies} proxies (${mode}), ${changes} changes, ${rounds} rounds of ${kinds.map((k) => k.name).join(" / ")}; load average ${loadBefore.map((l) => l.toFixed(1)).join(" ")}`,
  );
  const results = new Map<string, Round[]>(kinds.map((k) => [k.name, []]));
  const failures = new Map<string, string>();
  try {
    for (let r = 0; r < rounds; r++) {
      for (const kind of kinds) {
        // A server that failed once (out of memory, out of time) is not tried again.
        if (failures.has(kind.name)) continue;
        let round: Round;
        try {
          round = await measure(kind);
        } catch (err) {
          failures.set(kind.name, (err as Error).message);
          console.log(`round ${r + 1} ${kind.name}: FAILED: ${(err as Error).message}`);
          continue;
        }
        results.get(kind.name)!.push(round);
        console.log(
          `round ${r + 1} ${kind.name}: initial ACKed by all in ${(round.initialMs / 1000).toFixed(1)} s (CPU ${round.initialCpuSeconds.toFixed(1)} s); changes p50 ${round.changeP50Ms.toFixed(0)} ms, p99 ${round.changeP99Ms.toFixed(0)} ms; peak RSS ${round.peakRssMiB.toFixed(0)} MiB; load ${loadavg()[0]!.toFixed(1)}`,
        );
      }
    }
  } finally {
    if (dumpDir) rmSync(dumpDir, { recursive: true, force: true });
  }
  const figures: Array<[keyof Round, string, (v: number) => string]> = [
    ["initialMs", "initial config ACKed by all (s)", (v) => (v / 1000).toFixed(1)],
    ["initialCpuSeconds", "server CPU while connecting (s)", (v) => v.toFixed(1)],
    ["changeP50Ms", "change ACKed by all, p50 (ms)", (v) => v.toFixed(0)],
    ["changeP99Ms", "change ACKed by all, p99 (ms)", (v) => v.toFixed(0)],
    ["worstChangeP99Ms", "worst change's p99 (ms)", (v) => v.toFixed(0)],
    ["changeCpuSeconds", `server CPU for ${changes} changes (s)`, (v) => v.toFixed(2)],
    ["peakRssMiB", "server peak RSS (MiB)", (v) => v.toFixed(0)],
  ];
  const medians = Object.fromEntries(kinds.map((k) => [k.name, Object.fromEntries(figures.map(([key]) => [key, median(results.get(k.name)!.map((r) => r[key]))]))])) as Record<
    string,
    Record<string, number>
  >;
  const mesh = medians.meshsim;
  const go = medians["go-control-plane"];
  const before = medians.before;
  const ratio = (a: Record<string, number> | undefined, b: Record<string, number> | undefined, key: string) => {
    const r = a && b ? a[key]! / b[key]! : NaN;
    return Number.isFinite(r) ? r : undefined;
  };
  const columns: Array<[string, (key: string, format: (v: number) => string) => string]> = [
    ...kinds.map((k): [string, (key: string, format: (v: number) => string) => string] => [
      k.name === "go-control-plane" ? "go-cp" : k.name,
      (key, format) => (Number.isNaN(medians[k.name]![key]!) ? "failed" : format(medians[k.name]![key]!)),
    ]),
    ...(mesh && go ? [["meshsim/go", (key: string) => ratio(mesh, go, key)?.toFixed(2) ?? "-"] as [string, (key: string) => string]] : []),
    ...(mesh && before ? [["meshsim/before", (key: string) => ratio(mesh, before, key)?.toFixed(2) ?? "-"] as [string, (key: string) => string]] : []),
  ];
  console.log(`\nmedians over ${rounds} rounds`);
  console.log(`${"".padEnd(36)}${columns.map(([name]) => name.padStart(16)).join("")}`);
  for (const [key, label, format] of figures) console.log(`${label.padEnd(36)}${columns.map(([, cell]) => cell(key, format).padStart(16)).join("")}`);
  if (mesh) {
    const goals = [
      `initial < 10 s ${mesh.initialMs! < 10_000 ? "met" : "MISSED"}`,
      `change p99 < 300 ms ${mesh.changeP99Ms! < 300 ? "met" : "MISSED"}`,
      `peak < 400 MiB ${mesh.peakRssMiB! < 400 ? "met" : "MISSED"}`,
    ];
    console.log(`meshsim goals: ${goals.join(", ")}`);
  }
  const loadAfter = loadavg();
  console.log(`load average before ${loadBefore.map((l) => l.toFixed(1)).join(" ")}, after ${loadAfter.map((l) => l.toFixed(1)).join(" ")}`);
  const report = {
    services,
    proxies,
    mode,
    changes,
    rounds,
    debounceMs,
    maxInflight,
    clientProcesses,
    streamsPerConnection: Number(process.env.BENCH_STREAMS_PER_CONNECTION ?? 1),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAfter,
    baselineSkipped: skipped,
    failures: Object.fromEntries(failures),
    perRound: Object.fromEntries([...results].map(([name, rs]) => [name, rs])),
    medians,
    ratiosMeshsimToGo: mesh && go ? Object.fromEntries(figures.map(([key]) => [key, ratio(mesh, go, key) ?? null])) : undefined,
    ratiosMeshsimToBefore: mesh && before ? Object.fromEntries(figures.map(([key]) => [key, ratio(mesh, before, key) ?? null])) : undefined,
  };
  const file = writeBenchReport(
    {
      bench: "control-plane",
      title: `control plane: ${services} services, ${proxies} proxies (${mode}), medians over ${rounds} rounds`,
      startedAt,
      tables: [{ title: "medians", columns: ["", ...columns.map(([name]) => name)], rows: figures.map(([key, label, format]) => [label, ...columns.map(([, cell]) => cell(key, format))]) }],
    },
    report,
  );
  console.log(`wrote ${file}`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err);
    process.exit(1);
  },
);
