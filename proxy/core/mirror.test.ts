import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startThriftMesh, tally, type ThriftMesh } from "../testing/thrift-mesh.ts";

describe("mirroring", () => {
  let mesh: ThriftMesh;
  beforeAll(async () => {
    mesh = await startThriftMesh({ v1: 1, v2: 1 });
  });
  afterAll(() => mesh.close());

  const served = (v: string) => mesh.servers[v]![0]!.calls.sayHello ?? 0;
  const mirrorStat = (cluster: string, name: "total" | "sent" | "completed" | "failed") => mesh.stat(`cluster.${cluster}.mirror_rq_${name}`);

  it("copies every request at 100%, and the client sees only the primary's replies", async () => {
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "v1" }, mirror: { cluster: "v2", percentage: 100 } }]);
    const [p0, m0] = [served("v1"), served("v2")];
    const c = mesh.client();
    const { ok } = await tally(Array.from({ length: 200 }, (_, i) => c.sayHello(`m${i}`)));
    expect(ok).toEqual({ v1: 200 });
    // Copies are fire and forget: wait until their responses came back to the proxy.
    await vi.waitFor(() => expect(served("v2") - m0).toBe(200));
    expect(served("v1") - p0).toBe(200);
  });

  it("copies about the configured share", async () => {
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "v1" }, mirror: { cluster: "v2", percentage: 50 } }]);
    const m0 = served("v2");
    const c = mesh.client();
    const sent0 = mirrorStat("v2", "sent");
    const done0 = mirrorStat("v2", "completed");
    await tally(Array.from({ length: 1000 }, () => c.sayHello("x")));
    await vi.waitFor(() => expect(mirrorStat("v2", "completed") - done0).toBe(mirrorStat("v2", "sent") - sent0));
    const mirrored = served("v2") - m0;
    expect(mirrored).toBeGreaterThan(420); // 500 ± 5 sd
    expect(mirrored).toBeLessThan(580);
  });

  it("gives mirrored copies their own request ids, so they never take a primary's reply", async () => {
    // Mirror into the primary's own cluster: copies and originals share upstream connections.
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "v1" }, mirror: { cluster: "v1", percentage: 100 } }]);
    const clients = Array.from({ length: 4 }, () => mesh.client());
    const replies = await Promise.all(clients.flatMap((c, ci) => Array.from({ length: 50 }, (_, i) => c.sayHello(`c${ci}-${i}`).then((r) => [r.message, `hello c${ci}-${i}`]))));
    for (const [got, want] of replies) expect(got).toBe(want);
    expect(mesh.stat("cluster.v1.upstream_rq_orphaned")).toBe(0);
  });

  it("does not hold the primary response when the mirror target is slow or down", async () => {
    mesh.setCluster("dead", {}, [{ host: "127.0.0.1", port: 1 }]);
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "v1" }, mirror: { cluster: "dead", percentage: 100 } }]);
    const c = mesh.client();
    const { ok, errors } = await tally(Array.from({ length: 50 }, () => c.sayHello("x")));
    expect(ok).toEqual({ v1: 50 });
    expect(errors).toEqual({});
  });

  it("counts copies that never reached the mirror as failed, not completed", async () => {
    mesh.setCluster("gone", {}, [{ host: "127.0.0.1", port: 1 }]);
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "v1" }, mirror: { cluster: "gone", percentage: 100 } }]);
    const c = mesh.client();
    await tally(Array.from({ length: 40 }, () => c.sayHello("x")));
    await vi.waitFor(() => expect(mirrorStat("gone", "failed")).toBe(40));
    expect(mirrorStat("gone", "total")).toBe(40);
    expect(mirrorStat("gone", "sent")).toBe(40);
    expect(mirrorStat("gone", "completed")).toBe(0);
  });

  it("counts a copy with no endpoint to go to as failed and never sent", async () => {
    mesh.setCluster("empty", {}, []);
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "v1" }, mirror: { cluster: "empty", percentage: 100 } }]);
    const c = mesh.client();
    await tally(Array.from({ length: 10 }, () => c.sayHello("x")));
    expect(mirrorStat("empty", "total")).toBe(10);
    expect(mirrorStat("empty", "failed")).toBe(10);
    expect(mirrorStat("empty", "sent")).toBe(0);
  });
});
