import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startThriftMesh, type ThriftMesh } from "../testing/thrift-mesh.ts";

describe("authorization", () => {
  let mesh: ThriftMesh;
  beforeAll(async () => {
    mesh = await startThriftMesh({ v1: 1 });
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "v1" } }]);
  });
  afterAll(() => mesh.close());

  it("denies what a DENY policy matches and allows the rest", async () => {
    await mesh.setListener({ authorization: [{ name: "no-orders", action: "DENY", rules: [[{ name: "method", kind: "exact", value: "getOrder" }]] }] });
    const c = mesh.client();
    await expect(c.call("getOrder", "1")).rejects.toThrow(/meshsim: unauthorized: .*no-orders/);
    expect((await c.call<{ message: string }>("getUser", "1")).message).toBe("user 1");
  });

  it("with ALLOW policies, denies what none of them match", async () => {
    await mesh.setListener({
      authorization: [{ name: "only-users", action: "ALLOW", rules: [[{ name: "method", kind: "prefix", value: "getUser" }], [{ name: "method", kind: "exact", value: "listUsers" }]] }],
    });
    const c = mesh.client();
    expect((await c.call<{ message: string }>("getUser", "1")).message).toBe("user 1");
    expect((await c.call<{ message: string }>("listUsers")).message).toBe("users");
    await expect(c.sayHello("x")).rejects.toThrow(/meshsim: unauthorized: no ALLOW policy matches/);
    expect(mesh.stat("listener.hello.default.svc.cluster.local_9090.authorization.denied")).toBeGreaterThanOrEqual(2);
    await mesh.setListener({ authorization: undefined });
  });
});
