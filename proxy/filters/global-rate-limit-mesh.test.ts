/** The global rate limit through a whole proxy, against Envoy's reference rate-limit service. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRateLimitService, type RunningRateLimitService } from "../../fixtures/ratelimit/ratelimit-service.ts";
import { startThriftMesh, tally, type ThriftMesh } from "../testing/thrift-mesh.ts";

describe("global rate limit through the proxy", () => {
  let mesh: ThriftMesh;
  let service: RunningRateLimitService;
  beforeAll(async () => {
    service = await startRateLimitService({
      config: { domain: "hello", descriptors: [{ key: "method", value: "getUser", rate_limit: { unit: "minute", requests_per_unit: 5 } }] },
    });
    mesh = await startThriftMesh({ v1: 1 });
    mesh.setCluster("ratelimit", {}, [{ host: "127.0.0.1", port: service.grpcPort }]);
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "v1" } }]);
    await mesh.setListener({
      globalRateLimit: { domain: "hello", rateLimitServiceCluster: "ratelimit", denyOnFail: false, timeoutMs: 1000, descriptors: [{ key: "method", property: "method" }] },
    });
  });
  afterAll(async () => {
    await mesh?.close();
    await service?.close();
  });

  it("limits the described calls and leaves the others alone", async () => {
    const c = mesh.client();
    const users: Array<Promise<{ identity: { version: string } }>> = [];
    for (let i = 0; i < 8; i++) users.push(c.call("getUser", String(i)));
    const limited = await tally(users);
    const others = await tally(Array.from({ length: 8 }, () => c.sayHello("x")));
    expect(limited.ok).toEqual({ v1: 5 });
    expect(limited.errors).toEqual({ rate_limited: 3 });
    expect(others.ok).toEqual({ v1: 8 });
    expect(mesh.stat("listener.hello.default.svc.cluster.local_9090.global_rate_limit.over_limit")).toBe(3);
  });
});
