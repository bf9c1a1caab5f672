import { describe, expect, it } from "vitest";
import type { TrafficAssertion } from "../scenario/types.ts";
import { evaluateExpectation } from "./evaluate.ts";
import { parseThreshold, ThresholdSyntaxError } from "./thresholds.ts";
import { trafficResult } from "./test-traffic-result.ts";

const thresholds = (...t: string[]): TrafficAssertion => ({ kind: "thresholds", thresholds: t.map(parseThreshold) });

describe("evaluateExpectation", () => {
  it("success rate", () => {
    const ok = evaluateExpectation({ kind: "successRate", min: 1 }, trafficResult());
    expect(ok).toMatchObject({ name: "success rate", passed: true, message: "success rate: 2000/2000 (100%) >= 100% — pass" });
    const bad = evaluateExpectation({ kind: "successRate", min: 0.999 }, trafficResult({ successes: 1990, errors: { timeout: 7, "TApplicationException:no_route": 3 } }));
    expect(bad.passed).toBe(false);
    expect(bad.message).toBe("success rate: 1990/2000 (99.50%) < 99.90%; errors: timeout=7, TApplicationException:no_route=3 — FAIL");
    expect(evaluateExpectation({ kind: "successRate", min: 1 }, trafficResult({ requests: 0, successes: 0 })).passed).toBe(false);
  });

  it("distribution reads the identity the expectation names", () => {
    const r = evaluateExpectation({ kind: "distribution", by: "instance", expected: { "hello-v1-0": 0.2, "hello-v2-0": 0.8 }, tolerance: 0.03, confidence: 0.999 }, trafficResult());
    expect(r).toMatchObject({ name: "distribution by instance", passed: true });
    expect(r.details).toMatchObject({ total: 2000, test: "exact binomial" });
  });

  it("thresholds over corrected latency and the error rate", () => {
    const ok = evaluateExpectation(thresholds("p(99) < 20ms", "avg <= 2.1", "med < 2ms", "max < 1s", "rate < 1%"), trafficResult());
    expect(ok.passed).toBe(true);
    expect(ok.name).toBe("thresholds p(99) < 20ms, avg <= 2.1, med < 2ms, max < 1s, rate < 1%");
    expect(ok.message).toBe("thresholds: p(99)=8.4ms < 20ms ok; avg=2.1ms <= 2.1ms ok; med=1.8ms < 2ms ok; max=14.2ms < 1s ok; rate=0% < 1% ok — pass");
    const bad = evaluateExpectation(thresholds("p(99.9) < 10ms", "rate < 0.001"), trafficResult({ successes: 1990 }));
    expect(bad.passed).toBe(false);
    expect(bad.message).toContain("p(99.9)=12.5ms < 10ms violated");
    expect(bad.message).toContain("rate=0.50% < 0.10% violated");
  });

  it("errors by kind, prefix and total", () => {
    const result = trafficResult({ successes: 1990, errors: { timeout: 7, "TApplicationException:no_route": 3 } });
    const r = evaluateExpectation({ kind: "errors", counts: { total: { min: 10, max: 10 }, TApplicationException: { min: 1 }, reset: { min: 0, max: 0 } } }, result);
    expect(r.passed).toBe(true);
    expect(r.message).toBe("errors: total=10 (expected 10); TApplicationException=3 (expected >= 1); reset=0 (expected 0); seen: timeout=7, TApplicationException:no_route=3 — pass");
    const bad = evaluateExpectation({ kind: "errors", counts: { timeout: { min: 0, max: 2 } } }, result);
    expect(bad.passed).toBe(false);
    expect(bad.message).toContain("timeout=7 (expected 0..2) violated");
  });
});

describe("threshold grammar", () => {
  it.each([
    ["p(95) < 50ms", { stat: "p(95)", op: "<", value: 50 }],
    ["p( 99.9 )<=1.5s", { stat: "p(99.9)", op: "<=", value: 1500 }],
    ["avg < 10", { stat: "avg", op: "<", value: 10 }],
    ["rate === 0", { stat: "rate", op: "==", value: 0 }],
    ["rate < 2.5%", { stat: "rate", op: "<", value: 0.025 }],
    ["min > 500us", { stat: "min", op: ">", value: 0.5 }],
  ])("parses %s", (text, want) => expect(parseThreshold(text)).toMatchObject(want));

  it.each([
    ["p99 < 20ms", /did you mean "p\(99\)"/],
    ["p(97) < 20ms", /p\(97\) is not recorded/],
    ["avg 20ms", /expected "<stat> <op> <value>"/],
    ["avg <", /expected "<stat> <op> <value>"|missing a value/],
    ["avg < fast", /expected a latency like "20ms"/],
    ["rate < 5", /between 0 and 1/],
    ["rate < 1ms", /share of failed requests/],
    ["count < 3", /unknown statistic "count"/],
  ])("rejects %s", (text, reason) => {
    expect(() => parseThreshold(text)).toThrow(ThresholdSyntaxError);
    expect(() => parseThreshold(text)).toThrow(reason);
  });
});
