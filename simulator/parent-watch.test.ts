/**
 * watchParent fires when the process's first parent is gone — also when it was gone before the
 * watch started (a `meshsim up` whose npx wrapper died while the topology was still coming up
 * used to run on, orphaned, with everything it started).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { projectPath } from "./runtime/node-command.ts";

it("fires for a parent that died before the watch started", async () => {
  const dir = await mkdtemp(join(tmpdir(), "meshsim-parent-watch-"));
  try {
    const out = join(dir, "out");
    const loaded = join(dir, "loaded");
    // The middle process starts the watcher, detached, waits until it has loaded, and exits. The
    // watcher then waits to be re-parented and only then starts watching; it gives up after 3 s.
    const watcher = `
      import { writeFileSync } from "node:fs";
      import { watchParent } from ${JSON.stringify(projectPath("simulator/parent-watch.ts"))};
      const first = process.ppid;
      const done = (text, code) => { writeFileSync(${JSON.stringify(out)}, text); process.exit(code); };
      setTimeout(() => done("never fired", 1), 3000);
      writeFileSync(${JSON.stringify(loaded)}, "");
      const poll = setInterval(() => {
        if (process.ppid === first) return;
        clearInterval(poll);
        watchParent(() => done("fired", 0), 50);
      }, 20);`;
    const middle = `
      const { spawn } = require("node:child_process");
      const { existsSync } = require("node:fs");
      spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", ${JSON.stringify(watcher)}], { detached: true, stdio: "ignore", cwd: ${JSON.stringify(projectPath(""))} }).unref();
      const wait = setInterval(() => { if (existsSync(${JSON.stringify(loaded)})) { clearInterval(wait); process.exit(0); } }, 20);
      setTimeout(() => process.exit(1), 8000);`;
    await new Promise<void>((resolve) => spawn(process.execPath, ["-e", middle], { stdio: "ignore" }).once("exit", () => resolve()));
    const deadline = Date.now() + 10_000;
    let text = "";
    while (Date.now() < deadline && !text) {
      text = await readFile(out, "utf8").catch(() => "");
      if (!text) await new Promise((r) => setTimeout(r, 50));
    }
    expect(text).toBe("fired");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
