import type { ChildProcess } from "node:child_process";

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

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
        try {
          process.kill(c.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
    });
  }
  live.add(child);
  child.once("exit", () => live.delete(child));
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
