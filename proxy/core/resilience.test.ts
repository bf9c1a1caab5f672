/**
 * Timeouts, retries, outlier detection and circuit breakers on a real Thrift mesh. The "bad"
 * endpoints are real sockets: a refused port, a server that answers every call with an error
 * reply, and a server that accepts and never answers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blackhole, erroringServer } from "../testing/bad-upstreams.ts";
import { startThriftMesh, tally, type ThriftMesh } from "../testing/thrift-mesh.ts";

describe("timeouts and retries", () => {
  let mesh: ThriftMesh;
  let bad: Awaited<ReturnType<typeof erroringServer>>;
  let hole: Awaited<ReturnType<typeof blackhole>>;
  beforeAll(async () => {
    mesh = await startThriftMesh({ v1: 1 });
    bad = await erroringServer();
    hole = await blackhole();
  });
  afterAll(async () => {
    await mesh.close();
    await bad.close();
    await hole.close();
  });
  const good = () => ({ host: "127.0.0.1", port: mesh.servers.v1![0]!.port });

  it("answers timeout when the upstream does not reply within the route timeout", async () => {
    mesh.setCluster("hole", {}, [{ host: "127.0.0.1", port: hole.port }]);
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "hole" }, timeoutMs: 150 }]);
    const c = mesh.client();
    const start = performance.now();
    await expect(c.sayHello("x")).rejects.toThrow(/meshsim: timeout:/);
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it("retries a refused connection on another endpoint", async () => {
    mesh.setCluster("mixed", { lbPolicy: "round_robin" }, [{ host: "127.0.0.1", port: 1 }, good()]);
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "mixed" }, retries: { attempts: 2, retryOn: ["connect-failure"] } }]);
    const c = mesh.client();
    const { ok, errors } = await tally(Array.from({ length: 20 }, () => c.sayHello("x")));
    expect(errors).toEqual({});
    expect(ok).toEqual({ v1: 20 });
    expect(mesh.stat("cluster.mixed.upstream_rq_retry")).toBeGreaterThan(0);
  });

  it("without a retry policy the same failures reach the client", async () => {
    mesh.setCluster("mixed2", { lbPolicy: "round_robin" }, [{ host: "127.0.0.1", port: 1 }, good()]);
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "mixed2" } }]);
    const c = mesh.client();
    const { errors } = await tally(Array.from({ length: 20 }, () => c.sayHello("x")));
    expect(errors.upstream_failure).toBeGreaterThan(0);
  });

  it("retries an error reply, and gives up after the configured attempts", async () => {
    mesh.setCluster("flaky", { lbPolicy: "round_robin" }, [{ host: "127.0.0.1", port: bad.port }, good()]);
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "flaky" }, retries: { attempts: 1, retryOn: ["error-reply"] } }]);
    const c = mesh.client();
    const { ok, errors } = await tally(Array.from({ length: 20 }, () => c.sayHello("x")));
    expect(errors).toEqual({});
    expect(ok.v1).toBe(20);

    mesh.setCluster("allbad", {}, [{ host: "127.0.0.1", port: bad.port }]);
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "allbad" }, retries: { attempts: 2, retryOn: ["error-reply"] } }]);
    const before = bad.calls();
    await expect(c.sayHello("x")).rejects.toThrow(/backend error/);
    expect(bad.calls() - before).toBe(3); // first try + 2 retries
  });

  it("retries a per-try timeout on the next endpoint", async () => {
    mesh.setCluster("slowfast", { lbPolicy: "round_robin" }, [{ host: "127.0.0.1", port: hole.port }, good()]);
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "slowfast" }, retries: { attempts: 1, perTryTimeoutMs: 100, retryOn: ["timeout"] } }]);
    const c = mesh.client();
    const { ok, errors } = await tally(Array.from({ length: 6 }, () => c.sayHello("x")));
    expect(errors).toEqual({});
    expect(ok.v1).toBe(6);
  });
});

describe("outlier detection", () => {
  it("ejects an endpoint after consecutive errors and sends traffic to the rest", async () => {
    const mesh = await startThriftMesh({ v1: 1 });
    const bad = await erroringServer();
    try {
      mesh.setCluster("od", { outlierDetection: { consecutiveErrors: 3, intervalMs: 1000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50 } }, [
        { host: "127.0.0.1", port: bad.port },
        { host: "127.0.0.1", port: mesh.servers.v1![0]!.port },
      ]);
      mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "od" } }]);
      const c = mesh.client();
      // One at a time, so round robin alternates and the bad endpoint's errors are consecutive.
      const first = { errors: {} as Record<string, number> };
      for (let i = 0; i < 10; i++) {
        await c.sayHello("x").catch(() => (first.errors.upstream_failure = (first.errors.upstream_failure ?? 0) + 1));
      }
      const badCallsAfterEjection = bad.calls();
      const second = await tally(Array.from({ length: 50 }, () => c.sayHello("x")));
      expect(mesh.stat("cluster.od.outlier_detection_ejections")).toBe(1);
      expect(first.errors.upstream_failure).toBe(3);
      expect(second.ok.v1).toBe(50);
      expect(bad.calls()).toBe(badCallsAfterEjection);
    } finally {
      await mesh.close();
      await bad.close();
    }
  });
});

describe("circuit breakers", () => {
  it("answers overflow above max requests and counts it", async () => {
    const mesh = await startThriftMesh({ v1: 1 });
    try {
      mesh.setCluster("cb", { circuitBreakers: { maxRequests: 5 } }, [{ host: "127.0.0.1", port: mesh.servers.v1![0]!.port }]);
      mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "cb" } }]);
      const c = mesh.client();
      const { ok, errors } = await tally(Array.from({ length: 20 }, () => c.sayHelloSlowly("x", 100)));
      expect(ok.v1).toBe(5);
      expect(errors.overflow).toBe(15);
      expect(mesh.stat("cluster.cb.upstream_rq_pending_overflow")).toBe(15);
      expect(mesh.stat("listener.hello.default.svc.cluster.local_9090.local_reply_overflow")).toBe(15);
    } finally {
      await mesh.close();
    }
  });

  it("limits upstream connections across the cluster", async () => {
    const mesh = await startThriftMesh({ v1: 1 });
    try {
      mesh.setCluster("cx", { connectionsPerEndpoint: 8, circuitBreakers: { maxConnections: 2 } }, [{ host: "127.0.0.1", port: mesh.servers.v1![0]!.port }]);
      mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "cx" } }]);
      const clients = Array.from({ length: 6 }, () => mesh.client());
      const { ok } = await tally(clients.flatMap((c) => Array.from({ length: 10 }, () => c.sayHello("x"))));
      expect(ok.v1).toBe(60);
      expect(mesh.stat("cluster.cx.upstream_cx_total")).toBe(2);
    } finally {
      await mesh.close();
    }
  });
});

describe("consistent hashing", () => {
  it("sends the same key to the same instance, and spreads different keys", async () => {
    const mesh = await startThriftMesh({ v1: 4 });
    try {
      mesh.setCluster(
        "ring",
        { lbPolicy: "ring_hash" },
        mesh.servers.v1!.map((s) => ({ host: "127.0.0.1", port: s.port })),
      );
      // The Thrift metadata key `method` stands in for a user attribute here.
      mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "ring" }, hashPolicy: ["method"] }]);
      const c = mesh.client();
      const instancesFor = async (method: "getUser" | "getOrder" | "listUsers" | "sayHello") => {
        const seen = new Set<string>();
        for (let i = 0; i < 20; i++) {
          const r = method === "listUsers" ? await c.call<{ identity: { instance: string } }>(method) : await c.call<{ identity: { instance: string } }>(method, "1");
          seen.add(r.identity.instance);
        }
        return seen;
      };
      for (const m of ["getUser", "getOrder", "listUsers", "sayHello"] as const) expect((await instancesFor(m)).size).toBe(1);
    } finally {
      await mesh.close();
    }
  });
});
