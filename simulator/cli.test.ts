import { describe, expect, it, vi } from "vitest";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHelloClient } from "../fixtures/thrift/hello-client.ts";
import { validateSummary } from "./report/summary-schema.ts";
import { processAlive } from "./testing/processes.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

function meshsim(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/meshsim.mjs", ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("meshsim CLI", () => {
  it("validates the shipped scenarios", () => {
    const r = meshsim("validate", "scenarios/thrift");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/file\(s\) valid/);
  });

  it("rejects an unknown subset with exit 2, file:line and the field path", () => {
    const r = meshsim("validate", "simulator/testdata/unknown-subset.yaml");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/simulator\/testdata\/unknown-subset\.yaml:20:\d+: MetaRouter\/hello spec\.routes\[0\]\.route\[0\]\.destination\.subset: .*v9/);
  });

  it("rejects a bad field value with exit 2 before starting anything", () => {
    const r = meshsim("run", "simulator/testdata/bad-field.yaml");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad-field\.yaml:14:\d+: .*steps\[0\]\.traffic\.executor\.rate/);
  });

  it("names a missing file", () => {
    const r = meshsim("run", "no/such/scenario.yaml");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no\/such\/scenario\.yaml: no such file/);
  });

  it("rejects an unknown reporter, an unknown option and a tag nothing has, with exit 2", () => {
    expect(meshsim("run", "--reporter", "pdf", "scenarios/thrift")).toMatchObject({
      code: 2,
      err: expect.stringMatching(/unknown reporter "pdf" \(reporters: console, json, junit, html, or a module path/),
    });
    expect(meshsim("run", "--colour", "scenarios/thrift")).toMatchObject({ code: 2, err: expect.stringMatching(/run: Unknown option '--colour' \(options: --out, --tag/) });
    expect(meshsim("run", "--backend", "vm", "scenarios/thrift/traffic-split.yaml")).toMatchObject({ code: 2, err: expect.stringMatching(/--backend vm: unknown backend/) });
    expect(meshsim("run", "--tag", "nope", "scenarios/thrift")).toMatchObject({ code: 2, err: expect.stringMatching(/no scenario in \d+ file\(s\) has tag nope/) });
  });

  it("reports a --var value of the wrong type with exit 2 and file:line", () => {
    const r = meshsim("run", "--var", "count=oops", "simulator/testdata/fails.yaml");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/fails\.yaml:17:\d+: .*steps\[0\]\.traffic\.executor\.count: must be integer|fails\.yaml:17:\d+: .*count/);
  });

  it("exits 1 when an expectation fails, and --var reaches the scenario", () => {
    const out = mkdtempSync(join(tmpdir(), "meshsim-cli-"));
    const r = meshsim("run", "--var", "count=20", "--reporter", "console,json", "--out", out, "simulator/testdata/fails.yaml");
    expect(r.code).toBe(1);
    expect(r.out).toContain("✗ errors: total=0 (expected 1) violated; seen: none — FAIL");
    const [dir] = readdirSync(out);
    const summary = JSON.parse(readFileSync(join(out, dir!, "summary.json"), "utf8"));
    expect(summary.steps[0].traffic[0].requests).toBe(20);
    expect(summary.scenario.vars).toEqual({ count: 20 });
    expect(existsSync(join(out, dir!, "junit.xml"))).toBe(false);
  });

  it("runs the scenarios with a tag, writes the chosen reports and prints a summary table", () => {
    const out = mkdtempSync(join(tmpdir(), "meshsim-cli-"));
    const r = meshsim("run", "--tag", "faults", "--reporter", "console,json,html", "--out", out, "scenarios/thrift");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).not.toContain("\r"); // no live progress when stdout is not a terminal
    expect(r.out).toMatch(/result\s+scenario\s+steps\s+expectations\s+time/);
    expect(r.out).toMatch(/pass\s+thrift-fault-network\s+8\s+9\/9/);
    expect(r.out).toMatch(/pass\s+thrift-kill-restart\s+6\s+6\/6/);
    expect(r.out).toContain("2/2 scenarios passed");
    const dirs = readdirSync(out).sort();
    expect(dirs.map((d) => d.replace(/-\d{4}-.*$/, ""))).toEqual(["thrift-fault-network", "thrift-kill-restart"]);
    for (const d of dirs) {
      expect(readdirSync(join(out, d)).sort()).toEqual(["logs", "report.html", "summary.json"]);
      expect(validateSummary(JSON.parse(readFileSync(join(out, d, "summary.json"), "utf8")))).toEqual([]);
    }
  }, 120_000);

  it("up: brings the topology up, prints every address, stops on Ctrl-C", async () => {
    const up = spawn(process.execPath, ["bin/meshsim.mjs", "up", "scenarios/thrift/traffic-split.yaml"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    up.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => up.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!out.includes("press Ctrl-C") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(out).toMatch(/^control plane   http:\/\/127\.0\.0\.1:\d+\/status  \(xDS 127\.0\.0\.1:\d+\)$/m);
    expect(out).toMatch(/^  caller → hello  127\.0\.0\.1:\d+$/m);
    expect(out).toMatch(/^instance hello-v1-0  127\.0\.0\.1:\d+  hello v1$/m);
    // Without --apply the steps' resources are not applied, and the output says which.
    expect(out).toMatch(/^steps NOT applied \(run with --apply to apply them in order\):\n  "split 20\/80" \+MetaRouter\/hello$/m);
    const admin = /admin (http:\/\/127\.0\.0\.1:\d+\/stats)/.exec(out)![1]!;
    const stats = (await (await fetch(admin)).json()) as Record<string, number>;
    expect(Object.keys(stats).some((k) => k.startsWith("listener."))).toBe(true);
    const status = /(http:\/\/127\.0\.0\.1:\d+\/status)/.exec(out)![1]!;
    expect((await (await fetch(status)).json()) as object).toMatchObject({ acked: true });
    up.kill("SIGINT");
    expect(await exited).toBe(0);
  });

  it("up --apply: applies the steps' resources in order, says so, and the sidecar routes by them", async () => {
    const up = spawn(process.execPath, ["bin/meshsim.mjs", "up", "--apply", "scenarios/thrift/version-routing.yaml"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => up.on("exit", (code) => resolve(code)));
    try {
      const out = await outputUntil(up, "press Ctrl-C");
      expect(out).toMatch(/^steps applied in order \(--apply\):\n  "route to v1" \+MetaRouter\/hello\n  "switch to v2" \+MetaRouter\/hello$/m);
      const [, host, port] = /^ {2}caller → hello {2}(127\.0\.0\.1):(\d+)$/m.exec(out)!;
      const client = createHelloClient({ host, port: Number(port) });
      const versions = new Set<string>();
      for (let i = 0; i < 20; i++) versions.add((await client.sayHello(`c${i}`)).identity.version);
      await client.close();
      // The last step's route: everything on v2.
      expect([...versions]).toEqual(["v2"]);
    } finally {
      up.kill("SIGINT");
    }
    expect(await exited).toBe(0);
  });

  // SIGINT: the project's .npmrc has npm run bins through bash, which execs meshsim, so npm's
  // forwarded signal reaches it. SIGTERM through sh (what npm uses elsewhere): sh dies of it and
  // meshsim, seeing its parent gone, stops.
  it.each([
    ["SIGINT", "the project's script shell"],
    ["SIGTERM", "sh"],
  ] as const)("stops everything when %s is sent to the npx wrapper's PID (%s)", async (signal, shell) => {
    const env = shell === "sh" ? { ...process.env, npm_config_script_shell: "sh" } : process.env;
    const npx = spawn("npx", ["meshsim", "up", "scenarios/thrift/traffic-split.yaml"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => npx.on("exit", (code) => resolve(code)));
    let started: number[] = [];
    try {
      const out = await outputUntil(npx, "press Ctrl-C");
      const instance = /^instance hello-v1-0 {2}127\.0\.0\.1:(\d+)/m.exec(out)!;
      started = descendants(npx.pid!);
      expect(await accepts(Number(instance[1]))).toBe(true);
      npx.kill(signal);
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r(`npx still running 20 s after ${signal}`), 20_000))]);
      expect(code).not.toBe(`npx still running 20 s after ${signal}`);
      // npx may exit before meshsim has stopped what it started: give the teardown its time.
      await vi.waitFor(() => expect(started.filter(processAlive), `processes still running 10 s after ${signal} to npx`).toEqual([]), { timeout: 10_000, interval: 200 });
      expect(await accepts(Number(instance[1]))).toBe(false);
    } finally {
      for (const pid of [npx.pid!, ...started].filter(processAlive)) process.kill(pid, "SIGKILL");
    }
  });
});

/** Collects a child's stdout until it contains `marker` (30 s at most). */
async function outputUntil(child: ChildProcess, marker: string): Promise<string> {
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!out.includes(marker) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  expect(out).toContain(marker);
  return out;
}

/** Every process below `pid`, from /proc. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const children = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
    for (const c of children ? children.split(" ").map(Number) : []) out.push(c, ...descendants(c));
  }
  return out;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}
