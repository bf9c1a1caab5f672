/**
 * Memory of idle sidecars fed by xDS: brings a scenario up with the processes backend (which
 * returns once every sidecar has ACKed its configuration), then reads each sidecar process's
 * resident memory from /proc twice: once configured, and once settled (RSS unchanged for 10 s,
 * longer than the 8 s V8's memory reducer waits before giving back what start-up used; at most
 * 45 s). Each sample has
 * VmRSS with its anonymous and file-backed parts (file-backed is mostly the node binary's code
 * pages, shared between processes), and USS (the process's private pages: what one more sidecar
 * costs) and PSS (shared pages split between the processes mapping them), from
 * /proc/PID/smaps_rollup; and, from a probe preloaded into
 * the sidecars (sidecar-memory-probe.mjs), V8's heap: committed and used, new space (young
 * generation) and code space, and external memory. Node flags given in NODE_OPTIONS reach every
 * process the scenario starts, e.g. NODE_OPTIONS=--max-semi-space-size=1.
 *
 *   node --import tsx bench/sidecar-memory.bench.ts [scenario.yaml ...]
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { upScenario } from "../simulator/runner.ts";

const scenarios = process.argv.length > 2 ? process.argv.slice(2) : ["scenarios/thrift/traffic-split.yaml", "scenarios/thrift/version-routing.yaml"];

interface ProcessMemory {
  pid: number;
  rss: number;
  anon: number;
  file: number;
  uss: number;
  pss: number;
}

/** Descendant processes of this one that run the proxy entry point (bundled or from sources). */
function sidecarPids(): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const isDescendant = (pid: number): boolean => {
    for (let p = parentOf.get(pid); p !== undefined && p > 1; p = parentOf.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...parentOf.keys()].filter((pid) => {
    if (!isDescendant(pid)) return false;
    try {
      return /proxy[-/]main/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
    } catch {
      return false;
    }
  });
}

function memoryOf(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const mib = (text: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) / 1024;
  return {
    pid,
    rss: mib(status, "VmRSS"),
    anon: mib(status, "RssAnon"),
    file: mib(status, "RssFile"),
    uss: mib(rollup, "Private_Clean") + mib(rollup, "Private_Dirty"),
    pss: mib(rollup, "Pss"),
  };
}

/** Samples `pid` every 500 ms until its RSS has not changed for 10 s (at most 45 s). */
async function settledMemoryOf(pid: number): Promise<ProcessMemory & { seconds: number }> {
  const started = Date.now();
  let last = memoryOf(pid);
  let stableSince = Date.now();
  while (Date.now() - stableSince < 10_000 && Date.now() - started < 45_000) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = memoryOf(pid);
    if (Math.abs(now.rss - last.rss) > 0.05) stableSince = Date.now();
    last = now;
  }
  return { ...last, seconds: (Date.now() - started) / 1000 };
}

const describeMemory = (m: ProcessMemory) => `RSS ${m.rss.toFixed(1)} MiB  (anon ${m.anon.toFixed(1)}, file ${m.file.toFixed(1)})  USS ${m.uss.toFixed(1)}  PSS ${m.pss.toFixed(1)}`;

interface HeapFigures {
  heapTotal: number;
  heapUsed: number;
  external: number;
  spaces: Record<string, { size: number; used: number }>;
}

// Children inherit the environment: every sidecar the scenario starts loads the probe.
const probeDir = mkdtempSync(join(tmpdir(), "meshsim-memory-"));
process.env.MESHSIM_MEMORY_PROBE_DIR = probeDir;
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --import=${fileURLToPath(new URL("./sidecar-memory-probe.mjs", import.meta.url))}`.trim();

/** Asks the sidecar for its heap figures and waits (up to 5 s) for them to be written. */
async function heapOf(pid: number): Promise<HeapFigures | undefined> {
  // Without the probe, SIGUSR2 would end the process.
  if (!readFileSync(`/proc/${pid}/environ`, "utf8").includes("sidecar-memory-probe")) return undefined;
  const file = join(probeDir, `${pid}.json`);
  rmSync(file, { force: true });
  process.kill(pid, "SIGUSR2");
  for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as HeapFigures;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return undefined;
}

const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
function describeHeap(heap: HeapFigures | undefined): string {
  if (!heap) return "heap: no answer from the probe";
  const space = (name: string) => heap.spaces[name] ?? { size: 0, used: 0 };
  const code = space("code_space").size + space("code_large_object_space").size;
  return `heap ${mib(heap.heapUsed)} used of ${mib(heap.heapTotal)} committed (new space ${mib(space("new_space").size)}, large objects ${mib(space("large_object_space").size)}, code ${mib(code)}), external ${mib(heap.external)} MiB`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
for (const scenario of scenarios) {
  const topology = await upScenario(scenario, { backend: "processes" });
  try {
    const pids = sidecarPids();
    const configured = pids.map(memoryOf);
    const settled = await Promise.all(pids.map(settledMemoryOf));
    for (const [i, row] of configured.entries()) {
      const heap = describeHeap(await heapOf(row.pid));
      process.stdout.write(`${scenario}  sidecar pid ${row.pid}  configured: ${describeMemory(row)}  settled after ${settled[i]!.seconds.toFixed(0)} s: ${describeMemory(settled[i]!)}  ${heap}\n`);
    }
    for (const [label, rows] of [
      ["configured", configured],
      ["settled", settled],
    ] as const) {
      const med = (pick: (m: ProcessMemory) => number) => median(rows.map(pick)).toFixed(1);
      process.stdout.write(`${scenario}  ${rows.length} sidecars ${label}: median RSS ${med((r) => r.rss)} MiB  anon ${med((r) => r.anon)}  USS ${med((r) => r.uss)}  PSS ${med((r) => r.pss)}\n`);
    }
  } finally {
    await topology.down();
  }
}
rmSync(probeDir, { recursive: true, force: true });
