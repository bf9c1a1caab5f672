import { describe, expect, it } from "vitest";
import { MaglevTable, RingHash, createLoadBalancer } from "./load-balancer.ts";

const keys = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i}:9090`);
const requestKeys = Array.from({ length: 5000 }, (_, i) => `user-${i}`);

describe.each([
  ["ring hash", (k: string[]) => new RingHash(k)],
  ["maglev", (k: string[]) => new MaglevTable(k)],
])("%s", (_name, build) => {
  it("spreads keys over every endpoint roughly evenly", () => {
    const eps = keys(5).map((key) => ({ key, activeRequests: 0 }));
    const lb = createLoadBalancer(_name === "maglev" ? "maglev" : "ring_hash", eps);
    const counts = new Map<string, number>();
    for (const k of requestKeys) {
      const e = lb.choose(k, () => true)!;
      counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
    }
    expect(counts.size).toBe(5);
    for (const c of counts.values()) expect(c).toBeGreaterThan(600); // 1000 each when perfect
  });

  it("sends the same key to the same endpoint, in every proxy, whatever order endpoints arrive in", () => {
    const kind = _name === "maglev" ? "maglev" : "ring_hash";
    const endpoints = keys(5).map((key) => ({ key, activeRequests: 0 }));
    // Two proxies build their tables independently, from EDS lists in different orders.
    const one = createLoadBalancer(kind, endpoints);
    const other = createLoadBalancer(kind, [...endpoints].reverse());
    const picks = requestKeys.slice(0, 1000).map((k) => one.choose(k, () => true)!.key);
    expect(requestKeys.slice(0, 1000).map((k) => other.choose(k, () => true)!.key)).toEqual(picks);
    expect(requestKeys.slice(0, 1000).map((k) => one.choose(k, () => true)!.key)).toEqual(picks);
    expect(new Set(picks).size).toBe(5); // and it is not one endpoint for everything
    // The tables alone agree too (a lookup is an index into the list the table was built from).
    const forward = keys(5);
    const reversed = [...forward].reverse();
    const a = build(forward);
    const b = build(reversed);
    for (let i = 0; i < 1000; i++) {
      const h = (i * 2654435761) >>> 0;
      expect(reversed[b.lookup(h, 0)]).toBe(forward[a.lookup(h, 0)]);
    }
  });

  it("moves only the removed endpoint's keys when one goes", () => {
    const all = keys(5);
    const before = createLoadBalancer(
      _name === "maglev" ? "maglev" : "ring_hash",
      all.map((key) => ({ key, activeRequests: 0 })),
    );
    const after = createLoadBalancer(
      _name === "maglev" ? "maglev" : "ring_hash",
      all.filter((k) => k !== all[2]).map((key) => ({ key, activeRequests: 0 })),
    );
    let moved = 0;
    let owned = 0;
    for (const k of requestKeys) {
      const a = before.choose(k, () => true)!.key;
      const b = after.choose(k, () => true)!.key;
      if (a === all[2]) owned++;
      else if (a !== b) moved++;
    }
    expect(owned).toBeGreaterThan(0);
    // Keys of surviving endpoints stay put (maglev allows a little churn by design).
    expect(moved / requestKeys.length).toBeLessThan(_name === "maglev" ? 0.05 : 0.001);
  });
});

describe("round robin and least request", () => {
  it("round robin skips unusable endpoints", () => {
    const eps = keys(3).map((key) => ({ key, activeRequests: 0 }));
    const lb = createLoadBalancer("round_robin", eps);
    const picks = Array.from({ length: 6 }, () => lb.choose(undefined, (e) => e.key !== eps[1]!.key)!.key);
    expect(picks).not.toContain(eps[1]!.key);
    expect(new Set(picks).size).toBe(2);
  });

  it("least request prefers the less loaded of two choices", () => {
    const eps = keys(2).map((key, i) => ({ key, activeRequests: i === 0 ? 100 : 0 }));
    const lb = createLoadBalancer("least_request", eps);
    const picks = Array.from({ length: 200 }, () => lb.choose(undefined, () => true)!.key);
    expect(picks.filter((k) => k === eps[1]!.key).length).toBeGreaterThan(120); // 150 expected (3/4), sd ≈ 6
  });
});
