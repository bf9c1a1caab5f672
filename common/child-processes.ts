import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";

const live = new Set<ChildProcess>();
/** Processes a child started on our behalf (a launcher's Envoy), killed with it: PID → start time. */
const grandchildren = new Map<number, string | undefined>();
let exitHookInstalled = false;

function killPid(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

/** The start time of `pid` (/proc, Linux), which tells it apart from a later process given the same PID. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Kills a grandchild only if it is still the process that was announced. */
function killGrandchild(pid: number): void {
  const started = grandchildren.get(pid);
  grandchildren.delete(pid);
  if (started !== undefined && startTime(pid) === started) killPid(pid);
}

/**
 * Last resort for every server meshsim starts: whatever is still running when this process exits
 * is killed by PID (SIGKILL), so nothing outlives a crashed run.
 */
export function killOnExit(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const c of live) {
        if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) continue;
        killPid(c.pid);
      }
      for (const pid of [...grandchildren.keys()]) killGrandchild(pid);
    });
  }
  live.add(child);
  child.once("exit", () => live.delete(child));
}

/**
 * `pids` were started by `child` (which announced them) and must not outlive it: they are killed
 * when this process exits, and by `stopGrandchildren` once `child` has stopped — even when the
 * child itself was killed with SIGKILL and had no chance to stop them.
 */
export function killWithChild(pids: readonly number[]): void {
  for (const pid of pids) grandchildren.set(pid, startTime(pid));
}

export function stopGrandchildren(pids: readonly number[]): void {
  for (const pid of pids) killGrandchild(pid);
}

/**
 * Stops a child by PID: `signal` (SIGTERM by default; SIGKILL plays a crash), then SIGKILL after
 * a grace period; resolves once the process has exited.
 */
export async function stopChild(child: ChildProcess, graceMs = 3000, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  if (signal !== "SIGKILL") child.stdin?.end();
  try {
    process.kill(child.pid, signal);
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGKILL");
    } catch {
      /* gone */
    }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}
