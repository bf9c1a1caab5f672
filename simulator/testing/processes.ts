import { readFileSync } from "node:fs";

/** For tests: whether `pid` runs (a zombie waiting for its parent does not count). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z");
  } catch {
    return false;
  }
}
