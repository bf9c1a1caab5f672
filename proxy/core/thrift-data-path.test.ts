/**
 * The data path with real parts: the npm thrift client → Proxy (configured directly through its
 * ConfigSink, no control plane) → real Thrift servers v1 and v2.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connect } from "node:net";
import { Proxy } from "../proxy.ts";
import { startThriftServer, type RunningThriftServer, type ThriftProtocolName, type ThriftTransportName } from "../../fixtures/thrift/hello-server.ts";
import { createHelloClient } from "../../fixtures/thrift/hello-client.ts";
import type { RouteConfig } from "../config/types.ts";

const ROUTE = "hello.default.svc.cluster.local_9090";
const LISTENER = "hello.default.svc.cluster.local_9090";

function weighted(v1: number, v2: number): RouteConfig {
  return {
    name: ROUTE,
    routes: [
      {
        name: "split",
        match: [],
        action: {
          kind: "weighted",
          clusters: [
            { name: "outbound|9090|v1|hello", weight: v1 },
            { name: "outbound|9090|v2|hello", weight: v2 },
          ],
        },
      },
    ],
  };
}

const variants: Array<[ThriftTransportName, ThriftProtocolName]> = [
  ["framed", "binary"],
  ["framed", "compact"],
  ["unframed", "binary"],
  ["unframed", "compact"],
  ["header", "binary"],
  ["header", "compact"],
];

describe.each(variants)("thrift through the proxy (%s, %s)", (transport, protocol) => {
  let v1: RunningThriftServer;
  let v2: RunningThriftServer;
  let proxy: Proxy;
  let port: number;

  beforeAll(async () => {
    v1 = await startThriftServer({ service: "hello", version: "v1", instance: "hello-v1-0", transport, protocol });
    v2 = await startThriftServer({ service: "hello", version: "v2", instance: "hello-v2-0", transport, protocol });
    proxy = new Proxy();
    proxy.setClusters([
      { name: "outbound|9090|v1|hello", lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 2 },
      { name: "outbound|9090|v2|hello", lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 2 },
      { name: "outbound|9090|dead|hello", lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 1 },
    ]);
    proxy.setEndpoints([
      { clusterName: "outbound|9090|v1|hello", endpoints: [{ host: "127.0.0.1", port: v1.port }] },
      { clusterName: "outbound|9090|v2|hello", endpoints: [{ host: "127.0.0.1", port: v2.port }] },
      { clusterName: "outbound|9090|dead|hello", endpoints: [{ host: "127.0.0.1", port: 1 }] },
    ]);
    proxy.setRoutes([weighted(20, 80)]);
    await proxy.setListeners([{ name: LISTENER, address: { host: "127.0.0.1", port: 0 }, codec: "thrift", routeConfigName: ROUTE, statPrefix: "hello" }]);
    port = proxy.listeners.addresses()[LISTENER]!.port;
  });

  afterAll(async () => {
    await proxy.close();
    await v1.close();
    await v2.close();
  });

  const client = () => createHelloClient({ port, transport, protocol });

  it("splits calls by weight and relays replies intact", async () => {
    const c = client();
    await c.connected;
    const counts: Record<string, number> = {};
    const replies = await Promise.all(Array.from({ length: 400 }, (_, i) => c.sayHello(`n${i}`)));
    replies.forEach((r, i) => {
      expect(r.message).toBe(`hello n${i}`);
      counts[r.identity.version] = (counts[r.identity.version] ?? 0) + 1;
    });
    await c.close();
    expect(counts.v1! + counts.v2!).toBe(400);
    expect(counts.v1!).toBeGreaterThan(40); // 20% of 400 = 80; far outside ±40 is a bug
    expect(counts.v1!).toBeLessThan(120);
  });

  it("relays declared exceptions from the server", async () => {
    const c = client();
    await expect(c.sayHello("fail")).rejects.toMatchObject({ name: "HelloError" });
    await c.close();
  });

  it("applies a route update to a live connection on its next request", async () => {
    const c = client();
    await c.connected;
    proxy.setRoutes([weighted(100, 0)]);
    expect((await c.sayHello("a")).identity.version).toBe("v1");
    proxy.setRoutes([weighted(0, 100)]);
    expect((await c.sayHello("b")).identity.version).toBe("v2");
    expect(c.closed).toBe(false);
    proxy.setRoutes([weighted(20, 80)]);
    await c.close();
  });

  it("answers an unrouted method with a TApplicationException naming the reason", async () => {
    proxy.setRoutes([{ name: ROUTE, routes: [{ name: "only-say", match: [{ name: "method", kind: "exact", value: "sayHello" }], action: { kind: "cluster", cluster: "outbound|9090|v1|hello" } }] }]);
    const c = client();
    try {
      await expect(c.echo("x")).rejects.toMatchObject({ name: "TApplicationException", message: expect.stringMatching(/^meshsim: no_route:/) });
      expect((await c.sayHello("still works")).message).toBe("hello still works");
    } finally {
      proxy.setRoutes([weighted(20, 80)]);
      await c.close();
    }
  });

  it("answers with upstream_failure when the endpoint refuses connections", async () => {
    proxy.setRoutes([{ name: ROUTE, routes: [{ name: "dead", match: [], action: { kind: "cluster", cluster: "outbound|9090|dead|hello" } }] }]);
    const c = client();
    try {
      await expect(c.sayHello("x")).rejects.toMatchObject({ message: expect.stringMatching(/^meshsim: upstream_failure:/) });
    } finally {
      proxy.setRoutes([weighted(20, 80)]);
      await c.close();
    }
  });

  it("multiplexes many downstream connections onto the bounded upstream pool", async () => {
    const before = proxy.stats.get("cluster.outbound|9090|v2|hello.upstream_cx_total");
    const clients = Array.from({ length: 16 }, client);
    await Promise.all(clients.map((c) => Promise.all(Array.from({ length: 20 }, (_, i) => c.sayHello(`m${i}`)))));
    await Promise.all(clients.map((c) => c.close()));
    const opened = proxy.stats.get("cluster.outbound|9090|v2|hello.upstream_cx_total") - before;
    expect(opened).toBeLessThanOrEqual(2); // the pool size, however many clients
  });
});

describe("malformed input", () => {
  it("closes only the offending connection and counts it", async () => {
    const v1 = await startThriftServer({ service: "hello", version: "v1", instance: "hello-v1-0" });
    const proxy = new Proxy();
    try {
      proxy.setClusters([{ name: "c", lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 1 }]);
      proxy.setEndpoints([{ clusterName: "c", endpoints: [{ host: "127.0.0.1", port: v1.port }] }]);
      proxy.setRoutes([{ name: ROUTE, routes: [{ name: "all", match: [], action: { kind: "cluster", cluster: "c" } }] }]);
      await proxy.setListeners([{ name: LISTENER, address: { host: "127.0.0.1", port: 0 }, codec: "thrift", routeConfigName: ROUTE, statPrefix: "hello" }]);
      const port = proxy.listeners.addresses()[LISTENER]!.port;

      const good = createHelloClient({ port });
      expect((await good.sayHello("before")).message).toBe("hello before");

      const garbage = connect({ host: "127.0.0.1", port });
      const closed = new Promise<void>((resolve) => garbage.on("close", () => resolve()));
      garbage.on("error", () => undefined);
      garbage.write(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      await closed;

      expect(proxy.stats.get(`listener.${LISTENER}.downstream_cx_protocol_error`)).toBe(1);
      expect((await good.sayHello("after")).message).toBe("hello after");
      expect(good.closed).toBe(false);
      await good.close();
    } finally {
      await proxy.close();
      await v1.close();
    }
  });
});

describe("codec counters", () => {
  it("reports mutations a framed transport had no place for, per listener", async () => {
    const v1 = await startThriftServer({ service: "hello", version: "v1", instance: "hello-v1-0" });
    const proxy = new Proxy();
    try {
      proxy.setClusters([{ name: "c", lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 1 }]);
      proxy.setEndpoints([{ clusterName: "c", endpoints: [{ host: "127.0.0.1", port: v1.port }] }]);
      proxy.setRoutes([{ name: ROUTE, routes: [{ name: "all", match: [], action: { kind: "cluster", cluster: "c" }, requestMutation: [{ key: "x-env", value: "test" }] }] }]);
      await proxy.setListeners([{ name: LISTENER, address: { host: "127.0.0.1", port: 0 }, codec: "thrift", routeConfigName: ROUTE, statPrefix: "hello" }]);
      const c = createHelloClient({ port: proxy.listeners.addresses()[LISTENER]!.port });
      for (let i = 0; i < 3; i++) await c.sayHello("x");
      expect(proxy.stats.get(`listener.${LISTENER}.codec.mutationsIgnored`)).toBe(3);
      await c.close();
      await vi.waitFor(() => expect(proxy.stats.get(`listener.${LISTENER}.downstream_cx_active`)).toBe(0));
      expect(proxy.stats.snapshot()[`listener.${LISTENER}.codec.mutationsIgnored`]).toBe(3); // kept after the connection closed
    } finally {
      await proxy.close();
      await v1.close();
    }
  });

  it("writes mutations into THeader info headers, which the npm THeader server accepts", async () => {
    const v1 = await startThriftServer({ service: "hello", version: "v1", instance: "hello-v1-0", transport: "header" });
    const proxy = new Proxy();
    try {
      proxy.setClusters([{ name: "c", lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 1 }]);
      proxy.setEndpoints([{ clusterName: "c", endpoints: [{ host: "127.0.0.1", port: v1.port }] }]);
      proxy.setRoutes([{ name: ROUTE, routes: [{ name: "all", match: [], action: { kind: "cluster", cluster: "c" }, requestMutation: [{ key: "x-env", value: "test" }] }] }]);
      await proxy.setListeners([{ name: LISTENER, address: { host: "127.0.0.1", port: 0 }, codec: "thrift", routeConfigName: ROUTE, statPrefix: "hello" }]);
      const c = createHelloClient({ port: proxy.listeners.addresses()[LISTENER]!.port, transport: "header" });
      for (let i = 0; i < 3; i++) expect((await c.sayHello(`h${i}`)).message).toBe(`hello h${i}`);
      expect(proxy.stats.get(`listener.${LISTENER}.codec.mutationsIgnored`)).toBe(0);
      await c.close();
    } finally {
      await proxy.close();
      await v1.close();
    }
  });
});
