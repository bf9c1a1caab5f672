/**
 * The shipped Thrift scenarios, run programmatically end to end: control plane, sidecar proxy
 * and fixture services as real processes, the npm thrift client driving traffic.
 */
import { describe, expect, it } from "vitest";
import { runScenario } from "./runner.ts";
import { loadScenario } from "./scenario/loader.ts";

describe("thrift scenarios", () => {
  it("traffic-split: 2000 calls split 20/80 and checked statistically", async () => {
    const summary = await runScenario("scenarios/thrift/traffic-split.yaml", { noReports: true });
    expect(summary.error).toBeUndefined();
    const drive = summary.steps.find((s) => s.name === "drive")!;
    expect(drive.traffic[0]!.requests).toBe(2000);
    expect(drive.traffic[0]!.successes).toBe(2000);
    expect(Object.keys(drive.traffic[0]!.byIdentity.version).sort()).toEqual(["v1", "v2"]);
    expect(drive.expectations.filter((e) => !e.passed).map((e) => e.message)).toEqual([]);
    expect(summary.passed).toBe(true);
  });

  it("traffic-split fails when the expected split is not the configured one", async () => {
    const scenario = await loadScenario("scenarios/thrift/traffic-split.yaml");
    const drive = scenario.steps.find((s) => s.name === "drive")!;
    drive.traffic!.executor = { type: "constant-arrival-rate", ratePerSecond: 1000, count: 1000 };
    for (const e of drive.expect) if (e.kind === "distribution") e.expected = { v1: 0.5, v2: 0.5 };
    const summary = await runScenario(scenario, { noReports: true });
    expect(summary.passed).toBe(false);
    const failed = summary.steps.find((s) => s.name === "drive")!.expectations.find((e) => !e.passed)!;
    expect(failed.message).toMatch(/distribution by version: observed v1=\d+ .* v2=\d+/);
  });

  it("version-routing: every call on v1, then every call on v2 after the switch", async () => {
    const summary = await runScenario("scenarios/thrift/version-routing.yaml", { noReports: true });
    expect(summary.error).toBeUndefined();
    const byStep = Object.fromEntries(summary.steps.map((s) => [s.name, s]));
    expect(byStep["traffic on v1"]!.traffic[0]!.byIdentity.version).toEqual({ v1: 400 });
    expect(byStep["traffic on v2"]!.traffic[0]!.byIdentity.version).toEqual({ v2: 400 });
    expect(summary.passed).toBe(true);
  });

  // One name per option from the scenario schema to the fixture command and the client: every
  // transport the schema accepts starts and carries traffic through the sidecar.
  it.each([
    ["unframed", "compact"],
    ["header", "binary"],
  ] as const)("version-routing runs end to end with transport %s, protocol %s", async (transport, protocol) => {
    const scenario = await loadScenario("scenarios/thrift/version-routing.yaml");
    const service = scenario.topology.services.find((s) => s.name === "hello")!;
    service.transport = transport;
    service.protocolVariant = protocol;
    const summary = await runScenario(scenario, { noReports: true });
    expect(summary.error).toBeUndefined();
    const byStep = Object.fromEntries(summary.steps.map((s) => [s.name, s]));
    expect(byStep["traffic on v1"]!.traffic[0]!.byIdentity.version).toEqual({ v1: 400 });
    expect(byStep["traffic on v2"]!.traffic[0]!.byIdentity.version).toEqual({ v2: 400 });
    expect(summary.passed).toBe(true);
  });

  it("method-routing: exact, prefix and regex matches and a local no_route reply", async () => {
    const summary = await runScenario("scenarios/thrift/method-routing.yaml", { noReports: true });
    expect(summary.error).toBeUndefined();
    const byStep = Object.fromEntries(summary.steps.map((s) => [s.name, s.traffic[0]]));
    expect(byStep["exact match"]!.byIdentity.version).toEqual({ v1: 100 });
    expect(byStep["prefix match"]!.byIdentity.version).toEqual({ v2: 100 });
    expect(byStep["regex match"]!.byIdentity.version).toEqual({ v3: 100 });
    expect(byStep["no route"]!.errors).toEqual({ no_route: 50 });
    expect(summary.passed).toBe(true);
  });
});
