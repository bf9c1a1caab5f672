/**
 * The cluster's resource manager is the one owner of its counts: whatever way requests end
 * (a response, an error reply retried, a per-try or route timeout, a client that went away), the
 * requests, retries and endpoint loads they took are given back, and the connection count
 * matches the sockets open. A leak here would trip circuit breakers and skew least-request
 * balancing long after the traffic that caused it.
 */
import { describe, expect, it, vi } from "vitest";
import { blackhole, erroringServer } from "../testing/bad-upstreams.ts";
import { startThriftMesh, tally } from "../testing/thrift-mesh.ts";
import { ClusterResources, ResourceLimit } from "./resource-manager.ts";

describe("ResourceLimit", () => {
  it("allows creation below its limit only, and a new limit applies at once", () => {
    const limit = new ResourceLimit(2);
    expect(limit.canCreate()).toBe(true);
    limit.inc();
    limit.inc();
    expect(limit.canCreate()).toBe(false);
    limit.setLimit(3);
    expect(limit.canCreate()).toBe(true);
    limit.dec();
    limit.dec();
    expect(limit.current).toBe(0);
    limit.setLimit(undefined);
    expect(limit.canCreate()).toBe(true);
  });

  it("takes a cluster's circuit breakers, and a reconfiguration keeps the counts", () => {
    const resources = new ClusterResources({ maxConnections: 1, maxRequests: 5, maxRetries: 2, maxPendingRequests: 7 });
    resources.connections.inc();
    expect(resources.connections.canCreate()).toBe(false);
    resources.configure({ maxConnections: 4 });
    expect(resources.connections.current).toBe(1);
    expect(resources.connections.canCreate()).toBe(true);
    expect(resources.requests.limit).toBeUndefined();
    expect(resources.maxPendingRequests).toBeUndefined();
  });
});

describe("resource accounting through the proxy", () => {
  it("gives back every request, retry and endpoint load however requests end", async () => {
    const mesh = await startThriftMesh({ v1: 1 });
    const bad = await erroringServer();
    const hole = await blackhole();
    try {
      const endpoints = [
        { host: "127.0.0.1", port: bad.port },
        { host: "127.0.0.1", port: hole.port },
        { host: "127.0.0.1", port: mesh.servers.v1![0]!.port },
      ];
      mesh.setCluster("mixed", { lbPolicy: "round_robin" }, endpoints);
      mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "mixed" }, timeoutMs: 2000, retries: { attempts: 2, perTryTimeoutMs: 150, retryOn: ["error-reply", "timeout"] } }]);
      const c = mesh.client();
      const { ok, errors } = await tally(Array.from({ length: 30 }, () => c.sayHello("x")));
      // Each request found the good endpoint within three attempts.
      expect(errors).toEqual({});
      expect(ok.v1).toBe(30);
      expect(mesh.stat("cluster.mixed.upstream_rq_retry")).toBeGreaterThan(0);
      expect(mesh.stat("cluster.mixed.upstream_rq_timeout")).toBeGreaterThan(0);

      // Requests left waiting on the blackhole when their client goes away are cancelled.
      mesh.setCluster("hole", {}, [{ host: "127.0.0.1", port: hole.port }]);
      mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "hole" }, retries: { attempts: 1, perTryTimeoutMs: 60_000, retryOn: ["timeout"] } }]);
      const leaving = mesh.client();
      const pending = Array.from({ length: 5 }, () => leaving.sayHello("x").catch(() => undefined));
      await vi.waitFor(() => expect(mesh.proxy.clusters.get("hole")!.resources.requests.current).toBe(5), { timeout: 5000, interval: 10 });
      await leaving.close();
      await Promise.all(pending);

      for (const name of ["mixed", "hole"]) {
        const cluster = mesh.proxy.clusters.get(name)!;
        await vi.waitFor(() => expect(cluster.resources.requests.current, `${name} requests`).toBe(0), { timeout: 5000, interval: 10 });
        expect(cluster.resources.retries.current, `${name} retries`).toBe(0);
        expect(mesh.stat(`cluster.${name}.upstream_rq_active`), `${name} upstream_rq_active`).toBe(0);
        for (const e of cluster.endpoints) expect(e.activeRequests, `${name} ${e.key} activeRequests`).toBe(0);
        expect(cluster.resources.connections.current, `${name} connections`).toBe(mesh.stat(`cluster.${name}.upstream_cx_active`));
      }
      expect(mesh.stat("cluster.hole.upstream_rq_cancelled")).toBe(5);
    } finally {
      await mesh.close();
      await bad.close();
      await hole.close();
    }
  });
});
