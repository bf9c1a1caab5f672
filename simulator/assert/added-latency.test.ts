/** `addedLatency`: judged against a baseline of the same run, so a busy machine moves both sides. */
import { describe, expect, it } from "vitest";
import { evaluateAddedLatency } from "./added-latency.ts";
import { trafficResult } from "./test-traffic-result.ts";

const withP50 = (p50Ms: number) => {
  const r = trafficResult();
  return { ...r, latency: { ...r.latency, p50Ms } };
};
const check = { over: "baseline", stat: "p(50)" as const, minMs: 50, maxMs: 150 };

describe("addedLatency", () => {
  it("passes a 100 ms delay on an idle machine and on a busy one alike", () => {
    expect(evaluateAddedLatency(check, withP50(103), withP50(3)).message).toBe(
      "added latency p(50) over baseline: p(50) 103ms here, 3ms in baseline: 100ms added (expected >= 50ms and <= 150ms) — pass",
    );
    // Everything 60 ms slower: an absolute "p(50) < 100ms" on the baseline would have failed.
    expect(evaluateAddedLatency(check, withP50(163), withP50(63)).passed).toBe(true);
  });

  it("fails when the baseline was slowed too (a delay on every method), and when the delay was applied twice", () => {
    const everywhere = evaluateAddedLatency(check, withP50(104), withP50(102));
    expect(everywhere.passed).toBe(false);
    expect(everywhere.message).toContain(" 2ms added (expected >= 50ms and <= 150ms) — FAIL");
    expect(evaluateAddedLatency(check, withP50(205), withP50(3)).message).toMatch(/202ms added .* — FAIL$/);
  });

  it("reports a faster traffic as negative, and fails without a baseline", () => {
    expect(evaluateAddedLatency({ over: "baseline", stat: "p(50)", maxMs: 10 }, withP50(3), withP50(103)).message).toContain("-100ms added (expected <= 10ms) — pass");
    expect(evaluateAddedLatency(check, withP50(103), undefined).message).toBe('added latency p(50) over baseline: step "baseline" recorded no traffic (expected >= 50ms and <= 150ms) — FAIL');
  });
});
