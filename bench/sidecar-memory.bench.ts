/**
 * Memory of idle sidecars fed by xDS: brings a scenario up with the processes backend (which
 * returns once every sidecar has ACKed its configuration), then reads each sidecar process's
 * resident memory from /proc: VmRSS, with its anonymous and file-backed parts (file-backed is
 * mostly the node binary's code pages, shared between processes).
 *
 *   node --import tsx bench/sidecar-memory.bench.ts [scenario.yaml ...]
 */
import { readdirSync, readFileSync } from "node:fs";
import { upScenario } from "../simulator/runner.ts";

const scenarios = process.argv.length > 2 ? process.argv.slice(2) : ["scenarios/thrift/traffic-split.yaml", "scenarios/thrift/version-routing.yaml"];

interface ProcessMemory {
  pid: number;
  rss: number;
  anon: number;
  file: number;
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
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { pid, rss: kib("VmRSS"), anon: kib("RssAnon"), file: kib("RssFile") };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
for (const scenario of scenarios) {
  const topology = await upScenario(scenario, { backend: "processes" });
  try {
    const rows = sidecarPids().map(memoryOf);
    for (const row of rows) {
      process.stdout.write(`${scenario}  sidecar pid ${row.pid}  RSS ${row.rss.toFixed(1)} MiB  (anon ${row.anon.toFixed(1)}, file ${row.file.toFixed(1)})\n`);
    }
    process.stdout.write(`${scenario}  ${rows.length} sidecars  median RSS ${median(rows.map((r) => r.rss)).toFixed(1)} MiB  anon ${median(rows.map((r) => r.anon)).toFixed(1)} MiB\n`);
  } finally {
    await topology.down();
  }
}
