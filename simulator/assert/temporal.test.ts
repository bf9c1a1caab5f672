import { describe, expect, it } from "vitest";
import type { TimelineSecond, TrafficResult } from "../traffic/traffic-result.ts";
import { evaluateConnections } from "./connections.ts";
import { evaluateMetric, readMetric } from "./metric.ts";
import { evaluateConsistently, evaluateEventually, trafficWindow } from "./temporal.ts";
import { trafficResult } from "./test-traffic-result.ts";

/** A timeline of `versions[s]` shares per second, 100 requests each, errors in the seconds listed. */
function timeline(shares: Array<Record<string, number>>, errorSeconds: number[] = []): TrafficResult {
  const seconds: TimelineSecond[] = shares.map((share, second) => {
    const errors = errorSeconds.includes(second) ? 5 : 0;
    const ok = 100 - errors;
    const byVersion = Object.fromEntries(Object.entries(share).map(([v, p]) => [v, Math.round(ok * p)]));
    return {
      second,
      requests: 100,
      errors,
      errorsByKind: (errors ? { timeout: errors } : {}) as Record<string, number>,
      byVersion,
      byInstance: Object.fromEntries(Object.entries(byVersion).map(([v, n]) => [`hello-${v}-0`, n])),
      byService: { hello: ok },
      p50Ms: 1,
      p99Ms: 5,
      maxMs: 9,
      opened: second === 0 ? 4 : 0,
      closedByPeer: 0,
      resets: 0,
    };
  });
  return trafficResult({ timeline: seconds, requests: seconds.length * 100 });
}

const toV2 = { kind: "distribution", by: "version", expected: { v2: 1 }, tolerance: 0.03, confidence: 0.999 } as const;

describe("eventually", () => {
  // v1 until second 5, then v2 only: settles at second 5.
  const shift = timeline([...Array(5).fill({ v1: 1 }), ...Array(5).fill({ v2: 1 })]);

  it("passes when the assertion holds from a second no later than `within` after the last change to the end", () => {
    const r = evaluateEventually(toV2, 2000, 4200, shift);
    expect(r.passed).toBe(true);
    expect(r.details).toMatchObject({ heldFromSecond: 5 });
    expect(r.message).toMatch(/^eventually \(within 2s\): held from second 5 \(the last change was at 4.20s\) to the end, 500 requests: distribution by version: observed v2=500 \(100%\)/);
  });

  it("fails when it settles too late, saying what it saw", () => {
    const r = evaluateEventually(toV2, 500, 2000, shift);
    expect(r.passed).toBe(false);
    expect(r.message).toMatch(
      /^eventually \(within 500ms of the last change at 2s\): never held through to the end of the traffic; from second 2: distribution by version: observed v2=500 \(62.5%\) v1=300 \(37.5%\)/,
    );
    expect(r.message).not.toContain("\n");
  });

  it("windows sum requests, errors and identities", () => {
    const w = trafficWindow(timeline([{ v1: 1 }, { v2: 1 }, { v2: 1 }], [1]), 1, 3);
    expect(w).toMatchObject({ requests: 200, successes: 195, errors: { timeout: 5 }, byIdentity: { version: { v2: 195 }, service: { hello: 195 } } });
  });
});

describe("consistently", () => {
  it("holds in every second, or names the first second where it did not", () => {
    const r = evaluateConsistently({ kind: "successRate", min: 1 }, undefined, timeline(Array(6).fill({ v1: 1 })));
    expect(r).toMatchObject({ passed: true, message: "consistently: held in each of 6 seconds — pass" });
    const bad = evaluateConsistently({ kind: "successRate", min: 1 }, undefined, timeline(Array(6).fill({ v1: 1 }), [3]));
    expect(bad.passed).toBe(false);
    expect(bad.message).toBe("consistently: failed in second 3 of 6: success rate: 95/100 (95%) < 100%; errors: timeout=5 — FAIL");
  });

  it("checks only the first `for` and tests distributions per second at a Bonferroni-corrected confidence", () => {
    const late = timeline([{ v2: 1 }, { v2: 1 }, { v1: 1 }]);
    expect(evaluateConsistently(toV2, 2000, late).passed).toBe(true);
    const r = evaluateConsistently({ ...toV2, expected: { v1: 0.5, v2: 0.5 }, tolerance: 0.1 }, undefined, timeline(Array(10).fill({ v1: 0.5, v2: 0.5 })));
    expect(r.message).toContain("each second tested at confidence 0.999900");
  });
});

describe("connections over time", () => {
  it("counts the connections each second opened, so a reconnect storm cannot pass as zero", () => {
    const steady = timeline(Array(4).fill({ v1: 1 }));
    expect(trafficWindow(steady, 0, 4).connections.opened).toBe(4);
    const noNewConnections = { kind: "connections", counts: { opened: { min: 0, max: 0 } } } as const;
    const r = evaluateConsistently(noNewConnections, undefined, steady);
    expect(r.passed).toBe(false);
    expect(r.message).toContain("failed in second 0 of 4: connections: opened=4 (expected 0) violated");
    expect(evaluateEventually(noNewConnections, 1000, 0, steady)).toMatchObject({ passed: true, details: { heldFromSecond: 1 } });
    steady.timeline[2]!.opened = 3;
    expect(evaluateEventually(noNewConnections, 1000, 0, steady)).toMatchObject({ passed: false });
  });
});

describe("connections and metric assertions", () => {
  it("connections: counts with exact values and ranges", () => {
    const r = evaluateConnections({ closedByPeer: { min: 0, max: 0 }, resets: { min: 0, max: 0 } }, trafficResult({ connections: { opened: 8, closedByPeer: 2, resets: 0 } }));
    expect(r.passed).toBe(false);
    expect(r.message).toBe("connections: closedByPeer=2 (expected 0) violated; resets=0 (expected 0); seen: 8 opened, 2 closed by peer, 0 reset — FAIL");
    expect(evaluateConnections({ opened: { min: 1, max: 8 } }, trafficResult()).passed).toBe(true);
  });

  it("metric: exact names, wildcards summed, deltas, and a hint when nothing matches", () => {
    const stats = { "cluster.outbound|9090|v1|hello.upstream_rq_total": 30, "cluster.outbound|9090|v2|hello.upstream_rq_total": 70, "listener.x.downstream_rq_total": 100 };
    expect(readMetric(stats, "cluster.outbound|9090|*|hello.upstream_rq_total")).toEqual({
      value: 100,
      matched: ["cluster.outbound|9090|v1|hello.upstream_rq_total", "cluster.outbound|9090|v2|hello.upstream_rq_total"],
    });
    const m = { sidecar: "caller", name: "cluster.outbound|9090|v2|hello.upstream_rq_total", op: ">=", value: 50, delta: true } as const;
    const r = evaluateMetric(m, stats, { ...stats, "cluster.outbound|9090|v2|hello.upstream_rq_total": 30 });
    expect(r).toMatchObject({ passed: false, message: "metric: caller increase of cluster.outbound|9090|v2|hello.upstream_rq_total=40 >= 50 — FAIL" });
    expect(evaluateMetric({ ...m, delta: false }, stats).passed).toBe(true);
    const missing = evaluateMetric({ ...m, name: "cluster.nope.upstream_rq_total", delta: false, op: ">=", value: 0 }, stats);
    expect(missing.passed).toBe(false);
    expect(missing.message).toContain("no counter matches; similar: cluster.outbound|9090|v1|hello.upstream_rq_total");
  });

  it("metric: a retired counter name fails and names its replacement", () => {
    const stats = { "listener.cache_6379.fault.delays_injected": 3, "redis.cache_6379.downstream_rq_total": 9 };
    const old = evaluateMetric({ sidecar: "app", name: "redis.cache_6379.fault_delay_injected", op: ">=", value: 0, delta: false }, stats);
    expect(old.passed).toBe(false);
    expect(old.message).toContain("redis.cache_6379.fault_delay_injected is no longer counted; use listener.cache_6379.fault.delays_injected");
    const mirror = evaluateMetric({ sidecar: "app", name: "redis.cache_6379.mirror_rq_failed", op: "==", value: 0, delta: false }, stats);
    expect(mirror).toMatchObject({ passed: false });
    expect(mirror.message).toContain("use cluster.<mirror cluster>.mirror_rq_failed");
  });
});
