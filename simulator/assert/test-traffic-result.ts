/** A TrafficResult for tests, with plausible defaults and the fields a test cares about overridden. */
import type { LatencySummary, TrafficResult } from "../traffic/traffic-result.ts";

const LATENCY: LatencySummary = { count: 2000, minMs: 0.4, meanMs: 2.1, p50Ms: 1.8, p90Ms: 3.2, p95Ms: 4.1, p99Ms: 8.4, p999Ms: 12.5, maxMs: 14.2 };

export function trafficResult(overrides: Partial<TrafficResult> = {}): TrafficResult {
  return {
    step: "drive",
    from: "caller",
    to: "hello",
    protocol: "thrift",
    requests: 2000,
    successes: 2000,
    errors: {},
    byIdentity: { service: { hello: 2000 }, version: { v1: 412, v2: 1588 }, instance: { "hello-v1-0": 412, "hello-v2-0": 1588 } },
    latency: LATENCY,
    latencyRaw: { ...LATENCY, p50Ms: 1.1, p99Ms: 3.3 },
    connections: { opened: 4, closedByPeer: 0, resets: 0 },
    startedAt: "2026-01-01T00:00:00.000Z",
    durationMs: 4000,
    rate: 500,
    timeline: [],
    ...overrides,
  };
}
