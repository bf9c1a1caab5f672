import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startThriftMesh, tally, type ThriftMesh } from "../testing/thrift-mesh.ts";
import { TokenBucket } from "./token-bucket.ts";

const L = "listener.hello.default.svc.cluster.local_9090";

describe("token bucket", () => {
  it("starts full, refills per interval, never above max", () => {
    const b = new TokenBucket({ maxTokens: 3, tokensPerFill: 2, fillIntervalMs: 1000 }, 0);
    expect([b.tryTake(0), b.tryTake(0), b.tryTake(0), b.tryTake(0)]).toEqual([true, true, true, false]);
    expect(b.tryTake(999)).toBe(false);
    expect([b.tryTake(1000), b.tryTake(1000), b.tryTake(1000)]).toEqual([true, true, false]);
    expect([b.tryTake(10_000), b.tryTake(10_000), b.tryTake(10_000), b.tryTake(10_000)]).toEqual([true, true, true, false]);
  });
});

describe("local rate limit", () => {
  let mesh: ThriftMesh;
  beforeAll(async () => {
    mesh = await startThriftMesh({ v1: 1 });
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "v1" } }]);
  });
  afterAll(() => mesh.close());

  it("lets the default bucket's tokens through and answers the rest with rate_limited", async () => {
    await mesh.setListener({ localRateLimit: { tokenBucket: { maxTokens: 20, tokensPerFill: 20, fillIntervalMs: 60_000 }, conditions: [] } });
    const c = mesh.client();
    const { ok, errors } = await tally(Array.from({ length: 50 }, () => c.sayHello("x")));
    expect(ok).toEqual({ v1: 20 });
    expect(errors).toEqual({ rate_limited: 30 });
    expect(mesh.stat(`${L}.local_rate_limit.rate_limited`)).toBe(30);
    expect(mesh.stat(`${L}.local_rate_limit.ok`)).toBe(20);
  });

  it("uses the first matching condition's bucket, and lets unmatched requests pass without a default", async () => {
    await mesh.setListener({
      localRateLimit: {
        conditions: [
          { match: [{ name: "method", kind: "exact", value: "getUser" }], tokenBucket: { maxTokens: 5, tokensPerFill: 5, fillIntervalMs: 60_000 } },
          { match: [{ name: "method", kind: "prefix", value: "get" }], tokenBucket: { maxTokens: 2, tokensPerFill: 2, fillIntervalMs: 60_000 } },
        ],
      },
    });
    const c = mesh.client();
    const users = await tally(Array.from({ length: 10 }, () => c.call("getUser", "1")));
    const orders = await tally(Array.from({ length: 10 }, () => c.call("getOrder", "1")));
    const hellos = await tally(Array.from({ length: 10 }, () => c.sayHello("x")));
    expect([users.ok.v1, users.errors.rate_limited]).toEqual([5, 5]);
    expect([orders.ok.v1, orders.errors.rate_limited]).toEqual([2, 8]);
    expect(hellos.ok).toEqual({ v1: 10 });
  });

  it("keeps its buckets when a listener update leaves the rate limit unchanged", async () => {
    const limit = { tokenBucket: { maxTokens: 5, tokensPerFill: 5, fillIntervalMs: 60_000 }, conditions: [] };
    await mesh.setListener({ localRateLimit: limit });
    const c = mesh.client();
    const first = await tally(Array.from({ length: 5 }, () => c.sayHello("x")));
    await mesh.setListener({ localRateLimit: { ...limit }, statPrefix: "hello-renamed" }); // an LDS push of the same limit
    const second = await tally(Array.from({ length: 3 }, () => c.sayHello("x")));
    expect(first.ok.v1).toBe(5);
    expect(second.errors.rate_limited).toBe(3);
  });

  it("refills over time", async () => {
    await mesh.setListener({ localRateLimit: { tokenBucket: { maxTokens: 2, tokensPerFill: 2, fillIntervalMs: 200 }, conditions: [] } });
    const c = mesh.client();
    const first = await tally(Array.from({ length: 4 }, () => c.sayHello("x")));
    await new Promise((r) => setTimeout(r, 250));
    const second = await tally(Array.from({ length: 4 }, () => c.sayHello("x")));
    expect(first.ok.v1).toBe(2);
    expect(second.ok.v1).toBe(2);
    await mesh.setListener({ localRateLimit: undefined });
  });
});
