/**
 * Shared by the per-protocol policy tests: each traffic-policy scenario passes as shipped, and
 * fails once its policy is taken out of the resources — so its assertions can fail.
 */
import { describe, expect, it } from "vitest";
import { runScenario } from "./runner.ts";
import { loadScenario } from "./scenario/loader.ts";
import type { Scenario, ScenarioResource } from "./scenario/types.ts";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function allResources(s: Scenario): ScenarioResource[] {
  return [...s.resources, ...s.steps.flatMap((step) => step.apply)];
}

function withoutPolicy(s: Scenario, strip: (r: Obj) => void): Scenario {
  for (const r of allResources(s)) strip(r.object as Obj);
  return s;
}

const CASES: Array<[string, (r: Obj) => void]> = [
  ["fault-injection", (r) => delete r.metadata?.annotations?.["meshsim.dev/route-policies"]],
  ["local-rate-limit", (r) => delete r.spec?.localRateLimit],
  [
    "mirror",
    (r) => {
      for (const route of r.spec?.routes ?? []) {
        delete route.mirror;
        delete route.mirrorPercentage;
      }
    },
  ],
  [
    "resilience",
    (r) => {
      delete r.metadata?.annotations?.["meshsim.dev/route-policies"];
      delete r.spec?.trafficPolicy;
    },
  ],
  ["circuit-breaker", (r) => delete r.spec?.trafficPolicy],
];

export function describePolicyScenarios(protocol: "thrift" | "dubbo"): void {
  describe.each(CASES)(`${protocol} policy scenario %s`, (name, strip) => {
    const file = `scenarios/${protocol}/${name}.yaml`;

    it("passes with the policy", async () => {
      const summary = await runScenario(file, { noReports: true });
      const failed = summary.steps.flatMap((s) => s.expectations.filter((e) => !e.passed).map((e) => `${s.name}: ${e.message}`));
      expect(summary.error).toBeUndefined();
      expect(failed).toEqual([]);
      expect(summary.passed).toBe(true);
    });

    it("fails without it", async () => {
      const summary = await runScenario(withoutPolicy(await loadScenario(file), strip), { noReports: true });
      expect(summary.error).toBeUndefined();
      expect(summary.passed).toBe(false);
    });
  });
}
