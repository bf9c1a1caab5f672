import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { validateSummary } from "./report/summary-schema.ts";

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
    expect(meshsim("run", "--reporter", "pdf", "scenarios/thrift")).toMatchObject({ code: 2, err: expect.stringMatching(/unknown reporter "pdf" \(reporters: console, json, junit, html\)/) });
    expect(meshsim("run", "--colour", "scenarios/thrift")).toMatchObject({ code: 2, err: expect.stringMatching(/unknown option --colour/) });
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
    expect(r.out).toMatch(/pass\s+thrift-fault-network\s+8\s+8\/8/);
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
    const admin = /admin (http:\/\/127\.0\.0\.1:\d+\/stats)/.exec(out)![1]!;
    const stats = (await (await fetch(admin)).json()) as Record<string, number>;
    expect(Object.keys(stats).some((k) => k.startsWith("listener."))).toBe(true);
    const status = /(http:\/\/127\.0\.0\.1:\d+\/status)/.exec(out)![1]!;
    expect((await (await fetch(status)).json()) as object).toMatchObject({ acked: true });
    up.kill("SIGINT");
    expect(await exited).toBe(0);
  });
});
