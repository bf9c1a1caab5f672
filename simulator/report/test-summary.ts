/** A RunSummary for report tests: one apply step, one traffic step with a failed expectation. */
import { trafficResult } from "../assert/test-traffic-result.ts";
import type { RunSummary } from "./summary.ts";

export function runSummary(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    tool: { name: "meshsim", version: "0.1.0" },
    scenario: { name: "thrift-traffic-split", file: "scenarios/thrift/traffic-split.yaml", tags: ["thrift", "routing"] },
    startedAt: "2026-01-01T00:00:00.000Z",
    durationMs: 6200,
    passed: false,
    steps: [
      { name: "split 20/80", actions: ["apply", "waitFor"], durationMs: 420, passed: true, traffic: [], expectations: [] },
      {
        name: "drive",
        actions: ["traffic"],
        durationMs: 4100,
        passed: false,
        traffic: [trafficResult({ successes: 1998, errors: { timeout: 2 } })],
        expectations: [
          { name: "success rate", passed: true, message: "success rate: 1998/2000 (99.90%) >= 99% — pass", details: {} },
          {
            name: "distribution by version",
            passed: false,
            message: 'distribution by version: observed v1=600 (30%) v2=1400 (70%), expected v1=20% v2=80% — FAIL <&> "quoted"',
            details: { pValue: 0 },
          },
        ],
      },
      { name: "cleanup", actions: ["delete"], durationMs: 10, passed: false, error: "timed out waiting for ACK <proxy-1>\nsecond line", traffic: [], expectations: [] },
    ],
    environment: { node: "v20.20.2", platform: "linux-x64", backend: "process" },
    ...overrides,
  };
}
