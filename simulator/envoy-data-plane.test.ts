/**
 * The shipped scenarios on real Envoy (the pinned upstream build `meshsim doctor --fix` installs):
 * the control plane serves Envoy-native thrift_proxy, dubbo_proxy and redis_proxy configuration
 * to an Envoy sidecar, and the same expectations hold. Each check is also shown failing on Envoy
 * when what it guards is broken. Latency thresholds are left out where they are not the point:
 * they measure the machine, and CI machines are busy.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runScenario } from "./runner.ts";
import { loadScenario } from "./scenario/loader.ts";
import type { Scenario } from "./scenario/types.ts";
import { projectPath } from "./runtime/node-command.ts";
import { withMirrorTargetDown } from "./testing/mirror-target-down.ts";

const envoy = { dataPlane: "envoy", noReports: true } as const;

/** The scenario without its latency thresholds. */
async function withoutThresholds(file: string): Promise<Scenario> {
  const scenario = await loadScenario(file);
  for (const step of scenario.steps) step.expect = step.expect.filter((e) => e.kind !== "thresholds");
  return scenario;
}

function failures(summary: Awaited<ReturnType<typeof runScenario>>): string[] {
  return [
    ...(summary.error !== undefined ? [summary.error] : []),
    ...(summary.unsupported ?? []),
    ...summary.steps.flatMap((s) => [...(s.error !== undefined ? [s.error] : []), ...s.expectations.filter((e) => !e.passed).map((e) => e.message)]),
  ];
}

describe("scenarios on Envoy", () => {
  it("thrift traffic-split: the MetaRouter's 20/80 becomes thrift_proxy weighted clusters", async () => {
    const summary = await runScenario(await withoutThresholds("scenarios/thrift/traffic-split.yaml"), envoy);
    expect(summary.error).toBeUndefined();
    expect(summary.dataPlane).toBe("envoy");
    expect(failures(summary)).toEqual([]);
    const drive = summary.steps.find((s) => s.name === "drive")!.traffic[0]!;
    expect(drive.successes).toBe(2000);
    expect(Object.keys(drive.byIdentity.version).sort()).toEqual(["v1", "v2"]);
    expect(summary.passed).toBe(true);
  });

  it("thrift traffic-split fails on Envoy when the split Envoy applies is not the expected one", async () => {
    const scenario = await withoutThresholds("scenarios/thrift/traffic-split.yaml");
    const drive = scenario.steps.find((s) => s.name === "drive")!;
    for (const e of drive.expect) if (e.kind === "distribution") e.expected = { v1: 0.5, v2: 0.5 };
    const summary = await runScenario(scenario, envoy);
    expect(summary.passed).toBe(false);
    expect(failures(summary)).toEqual([expect.stringMatching(/^distribution by version: observed v1=\d+ .*— FAIL$/)]);
  });

  it("thrift route shift under load: routes change over thrift_proxy's route discovery, nothing dropped", async () => {
    const summary = await runScenario("scenarios/thrift/route-shift-under-load.yaml", envoy);
    expect(failures(summary)).toEqual([]);
    const load = summary.steps.flatMap((s) => s.traffic)[0]!;
    expect(load.requests - load.successes).toBe(0);
    expect(load.connections.closedByPeer).toBe(0);
    expect(summary.passed).toBe(true);
  });

  it("thrift mirror: copies arrive at the mirror target; sidecar copy counters are named not applicable", async () => {
    const summary = await runScenario("scenarios/thrift/mirror.yaml", envoy);
    expect(failures(summary)).toEqual([]);
    const all = summary.steps.find((s) => s.name === "all mirrored")!.expectations;
    expect(all.find((e) => e.name === "eventually metric service hello v2 received.sayHello == 500")?.passed).toBe(true);
    expect(all.filter((e) => e.notApplicable !== undefined).map((e) => e.name)).toEqual([expect.stringContaining("mirror_rq_completed"), expect.stringContaining("mirror_rq_failed")]);
    expect(summary.passed).toBe(true);
  });

  it("thrift mirror fails on Envoy when the copies cannot reach the mirror target", async () => {
    const dir = await mkdtemp(join(tmpdir(), "meshsim-envoy-mirror-"));
    try {
      const summary = await runScenario(await withMirrorTargetDown(dir, "scenarios/thrift/mirror.yaml", "hello-v2-0", "all mirrored"), envoy);
      expect(summary.error).toBeUndefined();
      expect(summary.passed).toBe(false);
      expect(failures(summary)).toEqual([expect.stringMatching(/^eventually \(within 5s\): never held in \d+ polls; last: metric: service hello v2 increase of received\.sayHello=0 == 500/)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it("dubbo attachment routing: MetaRouter attributes become dubbo_proxy header matches on attachments", async () => {
    const summary = await runScenario("scenarios/dubbo/attachment-routing.yaml", envoy);
    expect(failures(summary)).toEqual([]);
    expect(summary.passed).toBe(true);
  });

  it("redis prefix routing and faults: RedisService becomes redis_proxy prefix routes and faults", async () => {
    for (const file of ["scenarios/redis/prefix-routing.yaml", "scenarios/redis/faults.yaml"]) {
      const summary = await runScenario(file, envoy);
      expect({ file, failures: failures(summary) }).toEqual({ file, failures: [] });
      expect(summary.passed).toBe(true);
    }
  });

  it("a route Envoy rejects (a regex RE2 cannot compile) fails the run on the NACK, naming Envoy's reason", async () => {
    const scenario = await loadScenario("scenarios/thrift/version-routing.yaml");
    const apply = scenario.steps.flatMap((s) => s.apply).find((r) => r.kind === "MetaRouter")!;
    const spec = apply.object.spec as { routes: Array<{ match?: unknown }> };
    // JavaScript (and so meshsim's proxy) accepts a lookbehind; Envoy's RE2 does not.
    spec.routes[0]!.match = { attributes: { tenant: { regex: "(?<=a)b" } } };
    const summary = await runScenario(scenario, envoy);
    expect(summary.passed).toBe(false);
    expect(failures(summary).join("\n")).toMatch(/rejected ThriftRouteConfiguration version \d+: invalid perl operator: \(\?<=/);
    const meshsim = await runScenario(scenario, { noReports: true });
    expect(failures(meshsim).join("\n")).not.toMatch(/rejected/);
  });
});

describe("meshsim run --data-plane", () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [projectPath("bin/meshsim.mjs"), "run", ...args, "--reporter", "console"], { encoding: "utf8", cwd: projectPath(""), env: { ...process.env, NO_COLOR: "1" } });

  it("exits 2 naming file:line, the field and the missing Envoy capability for what Envoy cannot express", () => {
    const out = cli("scenarios/thrift/fault-injection.yaml", "--data-plane", "envoy");
    expect(out.status).toBe(2);
    expect(out.stdout).toMatch(/UNSUPPORTED on envoy/);
    expect(out.stdout).toMatch(
      /scenarios\/thrift\/fault-injection\.yaml:\d+:\d+: MetaRouter\/hello metadata\.annotations\.meshsim\.dev\/route-policies: not supported on envoy: .*fault: Envoy has no fault-injection filter for thrift_proxy/,
    );
  });

  it("validate --data-plane envoy: the same problems, before anything runs; plain validate accepts the file", () => {
    const validate = (...args: string[]) => spawnSync(process.execPath, [projectPath("bin/meshsim.mjs"), "validate", ...args], { encoding: "utf8", cwd: projectPath("") });
    const envoyCheck = validate("scenarios/dubbo/mirror.yaml", "--data-plane", "envoy");
    expect(envoyCheck.status).toBe(2);
    expect(envoyCheck.stderr).toMatch(
      /^scenarios\/dubbo\/mirror\.yaml:28:23: MetaRouter\/hello spec\.routes\.0\.mirror: not supported on envoy: dubbo_proxy's RouteAction has no request mirror policy$/m,
    );
    expect(validate("scenarios/dubbo/mirror.yaml").status).toBe(0);
  });

  it("both: runs the scenario on each data plane and compares what clients saw", () => {
    const out = cli("scenarios/dubbo/version-routing.yaml", "--data-plane", "both");
    expect(out.stdout).toMatch(/on meshsim\n/);
    expect(out.stdout).toMatch(/on envoy\n/);
    expect(out.stdout).toMatch(/dubbo-version-routing: meshsim passed · envoy passed/);
    expect(out.stdout).toMatch(/no significant difference between the data planes/);
    expect(out.status).toBe(0);
  });
});
