import { describe, expect, it } from "vitest";
import { parseThreshold } from "./thresholds.ts";
import { alreadyFailed } from "./already-failed.ts";
import type { Expectation } from "../scenario/types.ts";

const source = { file: "s.yaml", line: 1, column: 1 };
const live = (failures: number, errors: Record<string, number> = { timeout: failures }) => ({ completed: failures, failures, errors });

describe("already failed", () => {
  it("a success-rate floor, once more requests failed than the planned total allows", () => {
    const floor: Expectation[] = [{ kind: "successRate", min: 0.99, source }];
    expect(alreadyFailed(floor, live(10), 1000)).toBeUndefined();
    expect(alreadyFailed(floor, live(11), 1000)).toBe("success rate 99% can no longer hold: 11 of at most 1000 requests failed (timeout=11)");
    // Unbounded traffic (a duration with closed-loop callers): only a floor of 100% is known lost.
    expect(alreadyFailed(floor, live(500), Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(alreadyFailed([{ kind: "successRate", min: 1, source }], live(1), Number.POSITIVE_INFINITY)).toMatch(/^success rate 100% can no longer hold/);
  });

  it("an error count past its maximum, by kind or in total; a minimum never stops traffic", () => {
    const counts: Expectation[] = [{ kind: "errors", counts: { fault_abort: { min: 400 }, TApplicationException: { min: 0, max: 2 } }, source }];
    expect(alreadyFailed(counts, live(2, { "TApplicationException:no_route": 2 }), 1000)).toBeUndefined();
    expect(alreadyFailed(counts, live(3, { "TApplicationException:no_route": 3 }), 1000)).toBe("errors TApplicationException can no longer stay at most 2: 3 already");
    expect(alreadyFailed([{ kind: "errors", counts: { total: { min: 0, max: 0 } }, source }], live(1), 10)).toMatch(/^errors total/);
  });

  it("a failure-rate threshold; latency thresholds are left to the end", () => {
    const t: Expectation[] = [{ kind: "thresholds", thresholds: [parseThreshold("p(99) < 1ms"), parseThreshold("rate < 1%")], source }];
    expect(alreadyFailed(t, live(9), 1000)).toBeUndefined();
    expect(alreadyFailed(t, live(10), 1000)).toBe('threshold "rate < 1%" can no longer hold: 10 of at most 1000 requests failed');
  });

  it("leaves eventually, consistently and distributions to the end of the traffic", () => {
    const inner = { kind: "successRate", min: 1 } as const;
    const later: Expectation[] = [
      { kind: "eventually", withinMs: 1000, inner, source },
      { kind: "consistently", inner, source },
      { kind: "distribution", by: "version", expected: { v1: 1 }, tolerance: 0.03, confidence: 0.999, exact: "zero-one", source },
    ];
    expect(alreadyFailed(later, live(100), 100)).toBeUndefined();
  });
});
