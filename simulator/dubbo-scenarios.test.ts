/**
 * The shipped Dubbo scenarios, run programmatically end to end: control plane, sidecar proxy and
 * TypeScript Dubbo providers as real processes, apache-dubbo-js driving traffic.
 */
import { describe, expect, it } from "vitest";
import { runScenario } from "./runner.ts";
import { loadScenario } from "./scenario/loader.ts";

const byStep = (summary: Awaited<ReturnType<typeof runScenario>>) => Object.fromEntries(summary.steps.map((s) => [s.name, s.traffic[0]]));

describe("dubbo scenarios", () => {
  it("traffic-split: 2000 calls split 20/80 and checked statistically", async () => {
    const summary = await runScenario("scenarios/dubbo/traffic-split.yaml", { noReports: true });
    expect(summary.error).toBeUndefined();
    const drive = byStep(summary).drive!;
    expect(drive.successes).toBe(2000);
    expect(Object.keys(drive.byIdentity.version).sort()).toEqual(["v1", "v2"]);
    expect(summary.passed).toBe(true);
  });

  it("traffic-split fails when the expected split is not the configured one", async () => {
    const scenario = await loadScenario("scenarios/dubbo/traffic-split.yaml");
    const drive = scenario.steps.find((s) => s.name === "drive")!;
    drive.traffic!.executor = { type: "constant-arrival-rate", ratePerSecond: 1000, count: 1000 };
    for (const e of drive.expect) if (e.kind === "distribution") e.expected = { v1: 0.5, v2: 0.5 };
    const summary = await runScenario(scenario, { noReports: true });
    expect(summary.passed).toBe(false);
  });

  it("java-provider: without its split the Java provider still answers every call, and the distribution check fails", async () => {
    const scenario = await loadScenario("scenarios/dubbo/java-provider.yaml");
    const unsplit = await runScenario({ ...scenario, steps: scenario.steps.map((s) => ({ ...s, apply: [] })) }, { noReports: true });
    expect(unsplit.error).toBeUndefined();
    expect(byStep(unsplit).drive!.successes).toBe(1000);
    const failed = unsplit.steps.flatMap((s) => s.expectations.filter((e) => !e.passed).map((e) => `${s.name}: ${e.name}`));
    expect(failed).toEqual(["drive: distribution by version"]);
  }, 60_000);

  it("version-routing: every call on v1, then every call on v2 after the switch", async () => {
    const summary = await runScenario("scenarios/dubbo/version-routing.yaml", { noReports: true });
    expect(summary.error).toBeUndefined();
    expect(byStep(summary)["traffic on v1"]!.byIdentity.version).toEqual({ v1: 400 });
    expect(byStep(summary)["traffic on v2"]!.byIdentity.version).toEqual({ v2: 400 });
    expect(summary.passed).toBe(true);
  });

  it("method-routing: exact, prefix and regex matches and a local no_route Dubbo error", async () => {
    const summary = await runScenario("scenarios/dubbo/method-routing.yaml", { noReports: true });
    const steps = byStep(summary);
    expect(steps["exact match"]!.byIdentity.version).toEqual({ v1: 100 });
    expect(steps["prefix match"]!.byIdentity.version).toEqual({ v2: 100 });
    expect(steps["regex match"]!.byIdentity.version).toEqual({ v3: 100 });
    expect(steps["no route"]!.errors).toEqual({ no_route: 50 });
    expect(summary.passed).toBe(true);
  });

  it("attachment-routing: tenant=beta to v2, others to v1", async () => {
    const summary = await runScenario("scenarios/dubbo/attachment-routing.yaml", { noReports: true });
    expect(byStep(summary)["beta tenant"]!.byIdentity.version).toEqual({ v2: 100 });
    expect(byStep(summary)["other tenant"]!.byIdentity.version).toEqual({ v1: 100 });
    expect(summary.passed).toBe(true);
  });

  it("mutation: the provider refuses without the request mutation, then both mutations arrive", async () => {
    const summary = await runScenario("scenarios/dubbo/mutation.yaml", { noReports: true });
    const steps = byStep(summary);
    expect(steps["without the mutation the provider refuses"]!.errors).toEqual({ application_exception: 20 });
    expect(steps["request mutation reaches the provider, response mutation the consumer"]!.successes).toBe(100);
    expect(summary.passed).toBe(true);
  });

  it("mutation fails when the response mutation is not the one the consumer expects", async () => {
    const scenario = await loadScenario("scenarios/dubbo/mutation.yaml");
    const step = scenario.steps.find((s) => s.name.startsWith("request mutation"))!;
    step.traffic!.call!.headers = { "meshsim-expect-response-attachment": "x-meshsim-served=elsewhere" };
    const summary = await runScenario(scenario, { noReports: true });
    expect(summary.passed).toBe(false);
    // Fail fast: the step stops at the first reply without the attachment.
    const ran = summary.steps.find((s) => s.name === step.name)!;
    expect(ran.aborted).toMatch(/success rate 100% can no longer hold: 1 of at most 100 requests failed \(response_attachment_missing=1\)$/);
    expect(ran.traffic[0]!.errors).toEqual({ response_attachment_missing: 1 });
  });

  it("authorization: a DubboAuthorizationPolicy DENY answers unauthorized, other methods pass", async () => {
    const summary = await runScenario("scenarios/dubbo/authorization.yaml", { noReports: true });
    expect(byStep(summary)["allowed method"]!.successes).toBe(50);
    expect(byStep(summary)["denied method"]!.errors).toEqual({ unauthorized: 50 });
    expect(summary.passed).toBe(true);
  });
});
