/**
 * Every process a run starts is gone when the run ends — after Ctrl-C, and even when the
 * simulator itself is killed with SIGKILL (children exit when their stdin closes).
 */
import { describe, expect, it } from "vitest";
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { processAlive } from "../testing/processes.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

function childrenOf(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

async function startRunWithTopologyUp() {
  const run = spawn(process.execPath, ["bin/meshsim.mjs", "run", "--quiet", "scenarios/thrift/traffic-split.yaml"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  // control plane + two fixture instances + one sidecar
  const up = await until(() => childrenOf(run.pid!).length >= 4, 20_000);
  expect(up).toBe(true);
  return { run, children: childrenOf(run.pid!) };
}

describe("process cleanup", () => {
  it("stops every child on SIGINT and exits 130", async () => {
    const { run, children } = await startRunWithTopologyUp();
    const exited = new Promise<number | null>((resolve) => run.on("exit", (code) => resolve(code)));
    process.kill(run.pid!, "SIGINT");
    expect(await exited).toBe(130);
    await until(() => children.every((pid) => !processAlive(pid)), 3000); // let init reap any zombie
    expect(children.filter(processAlive)).toEqual([]);
  });

  it("leaves no orphan when the simulator is killed with SIGKILL", async () => {
    const { run, children } = await startRunWithTopologyUp();
    process.kill(run.pid!, "SIGKILL");
    const gone = await until(() => children.every((pid) => !processAlive(pid)), 5000);
    expect(children.filter(processAlive)).toEqual([]);
    expect(gone).toBe(true);
  });
});
