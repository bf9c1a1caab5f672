import { describe, expect, it } from "vitest";
import type { RunSummary } from "../report/summary.ts";
import type { TrafficResult } from "../traffic/traffic-result.ts";
import { compareDataPlanes, homogeneity } from "./differential.ts";

function run(versions: Record<string, number>, failed = 0, errors: Record<string, number> = {}, passed = true): RunSummary {
  const successes = Object.values(versions).reduce((a, b) => a + b, 0);
  const traffic = { step: "drive", requests: successes + failed, successes, errors, byIdentity: { service: {}, version: versions, instance: {} } } as unknown as TrafficResult;
  return { steps: [{ name: "drive", passed, traffic: [traffic], expectations: [] }] } as unknown as RunSummary;
}

describe("compareDataPlanes", () => {
  it("finds nothing when both saw the same split (within chance)", () => {
    expect(compareDataPlanes(run({ v1: 405, v2: 1595 }), run({ v1: 395, v2: 1605 }))).toEqual([]);
  });

  it("reports a significant difference in the split, suspecting the side whose expectations failed", () => {
    const [finding, ...rest] = compareDataPlanes(run({ v1: 400, v2: 1600 }), run({ v1: 1000, v2: 1000 }, 0, {}, false));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ step: "drive", aspect: "version split", suspect: "envoy" });
    expect(finding!.message).toBe("meshsim v1=400 (20.0%) v2=1600 (80.0%) vs envoy v1=1000 (50.0%) v2=1000 (50.0%)");
    expect(finding!.p).toBeLessThan(1e-6);
  });

  it("reports success rates and error kinds that differ, and says when the scenario cannot tell which is right", () => {
    const findings = compareDataPlanes(run({ v1: 1000 }), run({ v1: 900 }, 100, { no_route: 100 }));
    expect(findings.map((f) => f.aspect)).toEqual(["success rate"]);
    expect(findings[0]!.suspect).toBeUndefined();
    expect(findings[0]!.hint).toMatch(/do not tell which is right/);
    const kinds = compareDataPlanes(run({ v1: 900 }, 100, { no_route: 100 }), run({ v1: 900 }, 100, { timeout: 100 }));
    expect(kinds.map((f) => f.aspect)).toEqual(["error kinds"]);
  });

  it("reports traffic that ran on one data plane only", () => {
    const stopped = { steps: [] } as unknown as RunSummary;
    expect(compareDataPlanes(run({ v1: 10 }), stopped)).toEqual([expect.objectContaining({ step: "drive", aspect: "traffic", message: "ran on meshsim only (10 requests)" })]);
  });

  it("ignores a significant but small difference (within tolerance)", () => {
    expect(compareDataPlanes(run({ v1: 200_000, v2: 800_000 }), run({ v1: 210_000, v2: 790_000 }))).toEqual([]);
  });
});

describe("homogeneity", () => {
  it("gives p = 1 for identical shares and a tiny p for opposite ones", () => {
    expect(homogeneity([50, 50], [50, 50]).p).toBeCloseTo(1, 6);
    expect(homogeneity([100, 0], [0, 100]).p).toBeLessThan(1e-20);
  });
});
