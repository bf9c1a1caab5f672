/**
 * Protocols are plug-ins: each registered one has its file here and a place in the scenario
 * schema, and LPX — the example codec, known to the proxy only through `--codec` — runs a
 * scenario end to end, which fails on the expectations its routes guard when they are missing.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runScenario } from "../runner.ts";
import { loadScenario } from "../scenario/loader.ts";
import { SCENARIO_SCHEMA } from "../scenario/schema/index.ts";
import { projectPath } from "../runtime/node-command.ts";
import { PROTOCOL_NAMES, simulatorProtocol } from "./registry.ts";
import type { RunSummary } from "../report/summary.ts";

const SCENARIO = "scenarios/example/lpx-routing.yaml";

function failures(summary: RunSummary): string[] {
  return summary.steps.flatMap((s) => s.expectations.filter((e) => !e.passed).map((e) => `${s.name}: ${e.name}`));
}

describe("simulator protocol plug-ins", () => {
  it("every registered protocol is one file in simulator/protocols/, named after it, and the schema accepts it", () => {
    const schemaText = JSON.stringify(SCENARIO_SCHEMA);
    for (const name of PROTOCOL_NAMES) {
      expect(existsSync(projectPath(`simulator/protocols/${name}.ts`)), name).toBe(true);
      expect(simulatorProtocol(name).name).toBe(name);
      expect(simulatorProtocol(name).driver.protocol).toBe(name);
    }
    expect(schemaText).toContain(JSON.stringify({ enum: [...PROTOCOL_NAMES] }));
    expect(() => simulatorProtocol("smtp")).toThrow(/unknown protocol "smtp" \(known: thrift, dubbo, redis, kafka, lpx\)/);
  });

  it("LPX, a codec-only protocol, routes by header and splits 30/70 through the sidecar", async () => {
    const summary = await runScenario(SCENARIO, { noReports: true });
    expect(summary.error).toBeUndefined();
    expect(failures(summary)).toEqual([]);
    expect(summary.passed).toBe(true);
  });

  it("without its header route, the canary step fails on its distribution and on what v2 received", async () => {
    const scenario = await loadScenario(SCENARIO);
    const router = scenario.steps[0]!.apply[0]!.object as { spec: { routes: Array<{ name: string }> } };
    router.spec.routes = router.spec.routes.filter((r) => r.name !== "canary-tenant");
    const summary = await runScenario(scenario, { noReports: true, failFast: false });
    expect(summary.error).toBeUndefined();
    const failed = failures(summary);
    expect(
      failed.some((f) => /^canary tenant goes to v2: distribution/.test(f)),
      failed.join(" | "),
    ).toBe(true);
    expect(
      failed.some((f) => /^canary tenant goes to v2: metric .*received\.lookup/.test(f)),
      failed.join(" | "),
    ).toBe(true);
    expect(failed.filter((f) => !f.startsWith("canary tenant goes to v2: "))).toEqual([]);
  });
});
