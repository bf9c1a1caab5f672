/**
 * runScenarios, the API under `meshsim run`: tags, bail, exit codes and the Reporter hooks, with
 * a user's reporter loaded by path as `--reporter ./my-reporter.mjs` does; and the built-in
 * codecs' conformance suites by name (`meshsim codec-test thrift`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Reporter } from "./report/reporter.ts";
import { runScenarios } from "./run-scenarios.ts";
import { runCli } from "./testing/run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "meshsim-run-scenarios-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPLIT = "scenarios/thrift/traffic-split.yaml";
/** The split scenario expecting 50/50: the 20/80 route makes it fail on its distribution. */
const WRONG_SPLIT = join(dir, "wrong-split.yaml");
writeFileSync(
  WRONG_SPLIT,
  readFileSync(SPLIT, "utf8").replace("name: thrift-traffic-split", "name: wrong-split").replace("expected: {v1: 0.2, v2: 0.8}", "expected: {v1: 0.5, v2: 0.5}").replace("count: 2000", "count: 400"),
);

function recorder(): Reporter & { calls: string[] } {
  const calls: string[] = [];
  return {
    name: "recorder",
    calls,
    onRunStart: (s) => void calls.push(`start ${s.map((x) => x.metadata.name).join(",")}`),
    onScenarioStart: (s) => void calls.push(`scenario ${s.metadata.name}`),
    onScenarioEnd: (s, report) => void calls.push(`end ${s.scenario.name} ${s.passed ? "passed" : "failed"} ${report ? "folder" : "no-folder"}`),
    onNote: (t) => void calls.push(`note ${t}`),
    onRunEnd: (r) => void calls.push(`exit ${r.exitCode}`),
  };
}

const cli = runCli;

describe("runScenarios", () => {
  it("bail stops after the first failing scenario: exit 1, the rest not run, and the reporters told why", async () => {
    const r = recorder();
    const result = await runScenarios([WRONG_SPLIT, SPLIT], { reporters: [r], bail: true });
    expect(result.exitCode).toBe(1);
    expect(result.summaries.map((s) => s.scenario.name)).toEqual(["wrong-split"]);
    expect(r.calls).toEqual([
      "start wrong-split,thrift-traffic-split",
      "scenario wrong-split",
      "end wrong-split failed no-folder",
      "note --bail: stopping after wrong-split; 1 scenario(s) not run",
      "exit 1",
    ]);
  });

  it("tags select scenarios; a tag nothing has is an error, not an empty pass", async () => {
    const r = recorder();
    const result = await runScenarios([WRONG_SPLIT, SPLIT], { reporters: [r], tags: ["split"], outDir: join(dir, "reports") });
    // wrong-split keeps the split tag too: both are selected and run; one failing makes the exit 1.
    expect(result.summaries.map((s) => s.scenario.name)).toEqual(["wrong-split", "thrift-traffic-split"]);
    expect(result.summaries[0]!.passed).toBe(false);
    expect(result.exitCode).toBe(1);
    await expect(runScenarios([SPLIT], { reporters: [r], tags: ["nothing-has-this"] })).rejects.toThrow(/no scenario in 1 file\(s\) has tag nothing-has-this/);
  });
});

describe("meshsim run --reporter", () => {
  it("loads a reporter module by path; its hooks see the run, and the built-in files are written only when asked", async () => {
    const log = join(dir, "hooks.log");
    const module = join(dir, "my-reporter.mjs");
    writeFileSync(
      module,
      [
        'import { appendFileSync } from "node:fs";',
        `const log = (line) => appendFileSync(${JSON.stringify(log)}, line + "\\n");`,
        "export default () => ({",
        "  files: ['mine.txt'],",
        "  onScenarioEnd: (summary, report) => log(['end', summary.scenario.name, summary.passed, report ? report.files.join('+') : 'none'].join(' ')),",
        "  onRunEnd: (result) => log('exit ' + result.exitCode),",
        "});",
      ].join("\n"),
    );
    const run = await cli("run", SPLIT, "--reporter", `${module},json`, "--out", join(dir, "cli-reports"));
    expect(run.code).toBe(0);
    expect(readFileSync(log, "utf8")).toBe("end thrift-traffic-split true mine.txt+summary.json\nexit 0\n");
    // No console reporter asked for: nothing printed.
    expect(run.out).toBe("");
    const bad = await cli("run", SPLIT, "--reporter", join(dir, "missing.mjs"));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--reporter .*missing\.mjs: cannot be loaded/);
    const unknown = await cli("run", SPLIT, "--reporter", "xml");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown reporter "xml" \(reporters: console, json, junit, html, or a module path/);
  });
});

describe("meshsim codec-test <built-in name>", () => {
  it.each(["thrift", "dubbo", "redis", "kafka"])("%s passes its conformance suite", async (name) => {
    const r = await cli("codec-test", name, "--runs", "20", "--throughput-ms", "0");
    expect(r.out).toMatch(new RegExp(`^codec conformance: ${name === "redis" ? "redis" : name} `));
    expect(r.out).toMatch(/\nPASS: /);
    expect(r.code).toBe(0);
  });

  it("an unknown name or option is exit 2 with the reason", async () => {
    const r = await cli("codec-test", "smtp");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/smtp: cannot be loaded/);
    const o = await cli("codec-test", "thrift", "--rnus", "3");
    expect(o.code).toBe(2);
    expect(o.err).toMatch(/Unknown option '--rnus' \(options: --runs, --seed, --throughput-ms, --json\)/);
  });
});
