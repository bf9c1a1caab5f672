import { describe, expect, it } from "vitest";
import { renderConsoleSummary, shouldUseColor } from "./console.ts";
import { runSummary } from "./test-summary.ts";

describe("renderConsoleSummary", () => {
  it("shows counts, success rate, latency, the split and every expectation", () => {
    const out = renderConsoleSummary(runSummary(), { color: false });
    expect(out).toContain("thrift-traffic-split (scenarios/thrift/traffic-split.yaml) FAILED in 6.20s");
    expect(out).toContain("✓ split 20/80 apply+waitFor · 420ms");
    expect(out).toContain("caller → hello (thrift): 2000 requests, 1998 ok, 2 failed (timeout=2), success 99.90%, 500/s");
    expect(out).toContain("latency p50 1.8ms p99 8.4ms max 14.2ms · raw p50 1.1ms p99 3.3ms");
    expect(out).toContain("by version: v1=412 (20.6%) v2=1588 (79.4%)");
    expect(out).toContain("✓ success rate: 1998/2000 (99.90%) >= 99% — pass");
    expect(out).toContain("✗ distribution by version: observed v1=600 (30%)");
    expect(out).toContain("✗ cleanup delete · 10ms\n      error: timed out waiting for ACK <proxy-1>\n             second line");
    expect(out).toContain("3 steps, 1/2 expectations held, 1 step errored");
    expect(out).not.toContain("\u001b[");
  });

  it("colours only when asked", () => {
    expect(renderConsoleSummary(runSummary(), { color: true })).toContain("\u001b[31m✗\u001b[39m");
  });

  it("decides colour from the terminal and NO_COLOR", () => {
    expect(shouldUseColor({ isTTY: true }, {})).toBe(true);
    expect(shouldUseColor({ isTTY: false }, {})).toBe(false);
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: "" })).toBe(true);
    expect(shouldUseColor({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
  });
});
