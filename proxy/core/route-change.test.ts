/**
 * Route and cluster changes under load: nothing is dropped, in-flight requests finish on the
 * route they started on, and a removed cluster drains instead of failing its requests.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startThriftMesh, tally, type ThriftMesh } from "../testing/thrift-mesh.ts";
import type { RouteEntry } from "../config/types.ts";

const split = (v1: number): RouteEntry[] => [
  {
    name: "split",
    match: [],
    action: {
      kind: "weighted",
      clusters: [
        { name: "v1", weight: v1 },
        { name: "v2", weight: 100 - v1 },
      ],
    },
  },
];

describe("route changes under load", () => {
  let mesh: ThriftMesh;
  beforeAll(async () => {
    mesh = await startThriftMesh({ v1: 1, v2: 1 }, { connectionsPerEndpoint: 2 });
  });
  afterAll(() => mesh.close());
  const slowCalls = (version: string) => mesh.servers[version]![0]!.calls.sayHelloSlowly ?? 0;

  it("shifts v1 → v2 in ten steps and back on long-lived connections with no failure and no close", async () => {
    const clients = Array.from({ length: 4 }, () => mesh.client());
    await Promise.all(clients.map((c) => c.connected));
    const perStep: Array<{ v1Weight: number; ok: Record<string, number>; errors: Record<string, number> }> = [];
    const weights = [100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    for (const w of weights) {
      mesh.setRoutes(split(w));
      const r = await tally(clients.flatMap((c) => Array.from({ length: 50 }, () => c.sayHello("x"))));
      perStep.push({ v1Weight: w, ...r });
    }
    for (const step of perStep) {
      expect(step.errors).toEqual({});
      const v1 = step.ok.v1 ?? 0;
      // 200 calls per step: the share of v1 stays within 5 standard deviations of the weight.
      const sd = Math.sqrt(200 * (step.v1Weight / 100) * (1 - step.v1Weight / 100));
      expect(Math.abs(v1 - 2 * step.v1Weight)).toBeLessThanOrEqual(Math.max(1, 5 * sd));
    }
    expect(clients.every((c) => !c.closed)).toBe(true);
    expect(mesh.stat("listener.hello.default.svc.cluster.local_9090.downstream_cx_destroy_local")).toBe(0);
  });

  it("finishes in-flight requests on the route they started on", async () => {
    mesh.setRoutes(split(100));
    const c = mesh.client();
    const started = slowCalls("v1");
    const slow = Array.from({ length: 10 }, () => c.sayHelloSlowly("x", 150));
    await vi.waitFor(() => expect(slowCalls("v1") - started).toBe(10)); // all ten are at the server
    mesh.setRoutes(split(0));
    const after = await c.sayHello("y");
    const slowReplies = await Promise.all(slow);
    expect(slowReplies.every((r) => r.identity.version === "v1")).toBe(true);
    expect(after.identity.version).toBe("v2");
  });

  it("drains a removed cluster: its in-flight requests complete", async () => {
    mesh.setCluster("temp", {}, [{ host: "127.0.0.1", port: mesh.servers.v1![0]!.port }]);
    mesh.setRoutes([{ name: "t", match: [], action: { kind: "cluster", cluster: "temp" } }]);
    const c = mesh.client();
    const started = slowCalls("v1");
    const inFlight = Array.from({ length: 10 }, () => c.sayHelloSlowly("x", 150));
    await vi.waitFor(() => expect(slowCalls("v1") - started).toBe(10)); // all ten are at the server
    // Remove the cluster while its requests are in flight (as a CDS update without it would).
    mesh.proxy.setClusters(
      mesh.proxy.clusters
        .clusterNames()
        .filter((n) => n !== "temp")
        .map((name) => ({ name, lbPolicy: "round_robin", connectTimeoutMs: 500, connectionsPerEndpoint: 1 })),
    );
    mesh.setRoutes(split(50));
    const { ok, errors } = await tally(inFlight);
    expect(errors).toEqual({});
    expect(ok.v1).toBe(10);
    expect(mesh.stat("cluster.temp.upstream_rq_pending_failure")).toBe(0);
  });
});
