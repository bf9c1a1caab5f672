import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startThriftMesh, tally, type ThriftMesh } from "../testing/thrift-mesh.ts";

describe("fault injection", () => {
  let mesh: ThriftMesh;
  beforeAll(async () => {
    mesh = await startThriftMesh({ v1: 1 });
  });
  afterAll(() => mesh.close());

  it("aborts every request at 100% with the configured error kind, never reaching the server", async () => {
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "v1" }, fault: { abort: { percentage: 100, errorKind: "fault_abort", message: "injected" } } }]);
    const before = mesh.servers.v1![0]!.calls.sayHello ?? 0;
    const c = mesh.client();
    const { ok, errors } = await tally(Array.from({ length: 50 }, () => c.sayHello("x")));
    expect(ok).toEqual({});
    expect(errors).toEqual({ fault_abort: 50 });
    expect(mesh.servers.v1![0]!.calls.sayHello ?? 0).toBe(before);
    expect(mesh.stat(`listener.${"hello.default.svc.cluster.local_9090"}.fault.aborts_injected`)).toBe(50);
  });

  it("aborts about the configured percentage", async () => {
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "v1" }, fault: { abort: { percentage: 30, errorKind: "fault_abort" } } }]);
    const c = mesh.client();
    const { ok, errors } = await tally(Array.from({ length: 1000 }, () => c.sayHello("x")));
    // 30% of 1000: sd ≈ 14.5, so ±80 is over 5 sd.
    expect(errors.fault_abort).toBeGreaterThan(220);
    expect(errors.fault_abort).toBeLessThan(380);
    expect(ok.v1! + errors.fault_abort!).toBe(1000);
  });

  it("applies only to the route it is configured on", async () => {
    mesh.setRoutes([
      { name: "faulty", match: [{ name: "method", kind: "exact", value: "getUser" }], action: { kind: "cluster", cluster: "v1" }, fault: { abort: { percentage: 100, errorKind: "fault_abort" } } },
      { name: "clean", match: [], action: { kind: "cluster", cluster: "v1" } },
    ]);
    const c = mesh.client();
    await expect(c.call("getUser", "1")).rejects.toThrow(/meshsim: fault_abort/);
    expect((await c.sayHello("y")).message).toBe("hello y");
  });

  it("completes a delayed request even when the listener's filters change meanwhile", async () => {
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "v1" }, fault: { delay: { percentage: 100, fixedDelayMs: 150 } } }]);
    await mesh.setListener({ authorization: [{ name: "all", action: "ALLOW", rules: [[{ name: "method", kind: "present" }]] }] });
    const c = mesh.client();
    const delayed = mesh.stat("listener.hello.default.svc.cluster.local_9090.fault.delays_injected");
    const pending = c.sayHello("held");
    await vi.waitFor(() => expect(mesh.stat("listener.hello.default.svc.cluster.local_9090.fault.delays_injected")).toBe(delayed + 1));
    await mesh.setListener({ authorization: undefined }); // a shorter chain while the request waits in the fault filter
    expect((await pending).message).toBe("hello held");
  });

  it("delays requests by the configured time", async () => {
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "v1" }, fault: { delay: { percentage: 100, fixedDelayMs: 120 } } }]);
    const c = mesh.client();
    await c.sayHello("warm");
    const start = performance.now();
    await Promise.all(Array.from({ length: 10 }, () => c.sayHello("slow")));
    const elapsed = performance.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(115);
    expect(elapsed).toBeLessThan(400); // delays run concurrently, not one after another
  });
});
