/**
 * The programmatic API as a user gets it: imported by package name (`import ... from "meshsim"`)
 * and used inside a vitest test — run a scenario, read the summary, check it against the schema.
 */
import { describe, expect, it } from "vitest";
import { loadScenario, renderHtml, runScenario, type RunSummary } from "meshsim";
import { validateSummary } from "./report/summary-schema.ts";

describe('import { runScenario } from "meshsim"', () => {
  it("loads and runs a scenario with --var style overrides, without writing reports", async () => {
    const scenario = await loadScenario("scenarios/thrift/route-shift-under-load.yaml", { vars: { stride: 50, shifts: 2, rate: "200/s" } });
    expect(scenario.vars).toMatchObject({ stride: 50, shifts: 2 });
    const summary: RunSummary = await runScenario(scenario, { noReports: true });
    expect(summary.error).toBeUndefined();
    expect(summary.passed).toBe(true);
    const shift = summary.steps.find((s) => s.name === "shift under load")!;
    expect(shift.traffic[0]).toMatchObject({ id: "load", successes: shift.traffic[0]!.requests });
    expect(shift.events!.filter((e) => e.action === "apply").map((e) => e.step)).toEqual(["shift to v2 #1", "shift to v2 #2", "shift back to v1 #1", "shift back to v1 #2"]);
    expect(summary.scenario.text).toContain("kind: Scenario");
    expect(validateSummary(JSON.parse(JSON.stringify(summary)))).toEqual([]);
    expect(renderHtml(summary)).toContain("PASSED");
  });
});
