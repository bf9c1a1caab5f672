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

/** A summary with everything the HTML report draws: timelines, a route shift, a fault, errors, connection events, the scenario text. */
export function richSummary(): RunSummary {
  const base = runSummary();
  const timeline = Array.from({ length: 10 }, (_, second) => {
    const v2 = Math.min(1, Math.max(0, (second - 2) / 5));
    const errors = second === 6 ? 12 : 0;
    const ok = 300 - errors;
    return {
      second,
      requests: 300,
      errors,
      errorsByKind: (errors ? { timeout: errors } : {}) as Record<string, number>,
      byVersion: { v1: Math.round(ok * (1 - v2)), v2: Math.round(ok * v2) },
      byInstance: {},
      byService: { hello: ok },
      p50Ms: 1.5 + (second === 6 ? 20 : 0),
      p99Ms: 6 + second + (second === 6 ? 80 : 0),
      maxMs: 12 + second * 2 + (second === 6 ? 120 : 0),
      opened: second === 0 ? 4 : 0,
      closedByPeer: second === 6 ? 1 : 0,
      resets: second === 6 ? 2 : 0,
    };
  });
  const traffic = trafficResult({
    id: "load",
    requests: 3000,
    successes: 2988,
    errors: { timeout: 12 },
    connections: { opened: 4, closedByPeer: 1, resets: 2 },
    startedAt: "2026-01-01T00:00:01.000Z",
    durationMs: 10_000,
    rate: 300,
    byIdentity: { service: { hello: 2988 }, version: { v1: 1190, v2: 1798 }, instance: {} },
    timeline,
  });
  return {
    ...base,
    scenario: { ...base.scenario, vars: { stride: 25 }, text: "apiVersion: meshsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: thrift-traffic-split}\n# <not a tag> & friends\n" },
    steps: [
      base.steps[0]!,
      {
        name: "shift under load",
        actions: ["parallel"],
        durationMs: 10_200,
        passed: false,
        traffic: [traffic],
        expectations: [
          { name: "success rate", passed: false, message: "success rate: 2988/3000 (99.60%) < 100%; errors: timeout=12 — FAIL", details: {} },
          { name: "eventually distribution by version", passed: true, message: "eventually (within 2s): held from second 7 — pass", details: {} },
        ],
        events: [
          { step: "load", action: "traffic", detail: "caller → hello", atMs: 1000, durationMs: 10_000 },
          ...[1, 2, 3, 4].map((i) => ({ step: `shift #${i}`, action: "apply" as const, detail: "MetaRouter/hello", atMs: 2000 + i * 1000, durationMs: 30 })),
          { step: "slow", action: "fault" as const, detail: "latency 80ms±0ms → hello-v1-0", atMs: 7000, durationMs: 0 },
        ],
      },
      base.steps[2]!,
    ],
  };
}
