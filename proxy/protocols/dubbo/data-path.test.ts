/**
 * Dubbo through the proxy with real peers: apache-dubbo-js consumers → Proxy (configured directly
 * through its ConfigSink) → TypeScript providers v1 and v2.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "node:net";
import { Proxy } from "../../proxy.ts";
import type { RouteConfig, RouteEntry } from "../../config/types.ts";
import { startDubboProvider, type RunningDubboProvider } from "../../../fixtures/dubbo/provider.ts";
import { createDubboConsumer } from "../../../fixtures/dubbo/consumer.ts";
import { dubboSamples } from "./testdata/samples.ts";

const ROUTE = "hello.default.svc.cluster.local_20880";
const V1 = "outbound|20880|v1|hello.default.svc.cluster.local";
const V2 = "outbound|20880|v2|hello.default.svc.cluster.local";
const to = (cluster: string) => ({ kind: "cluster" as const, cluster });
const table = (...routes: RouteEntry[]): RouteConfig => ({ name: ROUTE, routes });

describe("dubbo through the proxy", () => {
  let v1: RunningDubboProvider;
  let v2: RunningDubboProvider;
  let proxy: Proxy;
  let port: number;

  beforeAll(async () => {
    v1 = await startDubboProvider({ service: "hello", version: "v1", instance: "hello-v1-0" });
    v2 = await startDubboProvider({ service: "hello", version: "v2", instance: "hello-v2-0" });
    proxy = new Proxy();
    proxy.setClusters([
      { name: V1, lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 2 },
      { name: V2, lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 2 },
      { name: "dead", lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 1 },
    ]);
    proxy.setEndpoints([
      { clusterName: V1, endpoints: [{ host: "127.0.0.1", port: v1.port }] },
      { clusterName: V2, endpoints: [{ host: "127.0.0.1", port: v2.port }] },
      { clusterName: "dead", endpoints: [{ host: "127.0.0.1", port: 1 }] },
    ]);
    proxy.setRoutes([table({ name: "all", match: [], action: to(V1) })]);
    await proxy.setListeners([{ name: ROUTE, address: { host: "127.0.0.1", port: 0 }, codec: "dubbo", routeConfigName: ROUTE, statPrefix: "hello" }]);
    port = proxy.listeners.addresses()[ROUTE]!.port;
  });

  afterAll(async () => {
    await proxy.close();
    await v1.close();
    await v2.close();
  });

  const consumer = () => createDubboConsumer({ port });

  it("splits 20/80 by weight and relays replies intact", async () => {
    proxy.setRoutes([
      table({
        name: "split",
        match: [],
        action: {
          kind: "weighted",
          clusters: [
            { name: V1, weight: 20 },
            { name: V2, weight: 80 },
          ],
        },
      }),
    ]);
    const c = consumer();
    await c.connected;
    const counts: Record<string, number> = {};
    const replies = await Promise.all(Array.from({ length: 400 }, (_, i) => c.call("sayHello", [`n${i}`])));
    replies.forEach((r, i) => {
      expect(r.reply.message).toBe(`hello n${i}`);
      counts[r.reply.version] = (counts[r.reply.version] ?? 0) + 1;
    });
    c.close();
    expect(counts.v1! + counts.v2!).toBe(400);
    expect(counts.v1!).toBeGreaterThan(40);
    expect(counts.v1!).toBeLessThan(120);
  });

  it("routes on method exact, prefix and regex, and on an attachment", async () => {
    proxy.setRoutes([
      table(
        { name: "tenant", match: [{ name: "tenant", kind: "exact", value: "beta" }], action: to(V2) },
        { name: "exact", match: [{ name: "method", kind: "exact", value: "getUser" }], action: to(V1) },
        { name: "prefix", match: [{ name: "method", kind: "prefix", value: "get" }], action: to(V2) },
        { name: "regex", match: [{ name: "method", kind: "regex", value: "list[A-Z][a-z]+" }], action: to(V2) },
        {
          name: "say",
          match: [
            { name: "method", kind: "exact", value: "sayHello" },
            { name: "interface", kind: "exact", value: "meshsim.dubbo.HelloService" },
          ],
          action: to(V1),
        },
      ),
    ]);
    const c = consumer();
    await c.connected;
    expect((await c.call("getUser", ["1"])).reply.version).toBe("v1");
    expect((await c.call("getOrder", ["1"])).reply.version).toBe("v2");
    expect((await c.call("listUsers")).reply.version).toBe("v2");
    expect((await c.call("sayHello", ["x"])).reply.version).toBe("v1");
    expect((await c.call("sayHello", ["x"], { tenant: "beta" })).reply.version).toBe("v2");
    // no route: a Dubbo error with the reason, and the connection stays usable
    await expect(c.call("echo", ["x"])).rejects.toThrow(/meshsim: no_route: /);
    expect((await c.call("getUser", ["2"])).reply.version).toBe("v1");
    expect(c.closed).toBe(false);
    c.close();
  });

  it("writes request mutations into the attachments the provider receives, and response mutations into those the consumer receives", async () => {
    proxy.setRoutes([
      table({
        name: "mutate",
        match: [],
        action: to(V1),
        requestMutation: [{ key: "x-meshsim-route", value: "mutate" }],
        responseMutation: [{ key: "x-meshsim-response", value: "added" }],
      }),
    ]);
    const c = consumer();
    try {
      const r = await c.call("sayHello", ["m"], { keep: "yes" });
      expect(r.reply.attachments).toMatchObject({ "x-meshsim-route": "mutate", keep: "yes" });
      expect(r.responseAttachments).toEqual({ "provider-instance": "hello-v1-0", "x-meshsim-response": "added" });
    } finally {
      c.close();
    }
  });

  it("answers upstream_failure with a Dubbo error when the endpoint refuses connections", async () => {
    proxy.setRoutes([table({ name: "dead", match: [], action: to("dead") })]);
    const c = consumer();
    try {
      await expect(c.call("sayHello", ["x"])).rejects.toThrow(/meshsim: upstream_failure: /);
    } finally {
      c.close();
    }
  });

  it("multiplexes many consumers onto the bounded upstream pool", async () => {
    proxy.setRoutes([table({ name: "all", match: [], action: to(V2) })]);
    const before = proxy.stats.get(`cluster.${V2}.upstream_cx_total`);
    const consumers = Array.from({ length: 12 }, consumer);
    await Promise.all(consumers.map((c) => Promise.all(Array.from({ length: 20 }, (_, i) => c.call("sayHello", [`m${i}`])))));
    consumers.forEach((c) => c.close());
    expect(proxy.stats.get(`cluster.${V2}.upstream_cx_total`) - before).toBeLessThanOrEqual(2);
  });

  it("answers a heartbeat itself, without forwarding it", async () => {
    const hb = Buffer.from("dabbe2000000000000000063000000014e", "hex");
    const socket = connect({ host: "127.0.0.1", port });
    const reply = await new Promise<Buffer>((resolve, reject) => {
      socket.once("data", resolve);
      socket.once("error", reject);
      socket.write(hb);
    });
    socket.destroy();
    expect(reply.toString("hex")).toBe("dabb2214000000000000006300000001" + "4e");
  });

  it("answers a request with a wide id (Dubbo 3 starts at a random long) with that id's exact bytes, on replies and local replies", async () => {
    const wide = 8652490905798464591n;
    const request = Buffer.from(dubboSamples().find((s) => s.name === "dubbojs-sayHello.request")!.bytes);
    request.writeBigInt64BE(wide, 4);
    const replyTo = async (bytes: Buffer): Promise<Buffer> => {
      const socket = connect({ host: "127.0.0.1", port });
      try {
        return await new Promise<Buffer>((resolve, reject) => {
          socket.once("data", resolve);
          socket.once("error", reject);
          socket.write(bytes);
        });
      } finally {
        socket.destroy();
      }
    };
    proxy.setRoutes([table({ name: "all", match: [], action: to(V1) })]);
    const reply = await replyTo(request);
    expect(reply[3]).toBe(20); // OK
    expect(reply.readBigInt64BE(4)).toBe(wide);
    proxy.setRoutes([table({ name: "none", match: [{ name: "method", kind: "exact", value: "nothing" }], action: to(V1) })]);
    const local = await replyTo(request);
    expect(local[3]).not.toBe(20);
    expect(local.readBigInt64BE(4)).toBe(wide);
  });

  it("closes only a connection that sends garbage", async () => {
    proxy.setRoutes([table({ name: "all", match: [], action: to(V1) })]);
    const good = consumer();
    await good.connected;
    const garbage = connect({ host: "127.0.0.1", port });
    garbage.on("error", () => undefined);
    const closed = new Promise<void>((resolve) => garbage.on("close", () => resolve()));
    garbage.write("GET / HTTP/1.1\r\n\r\n");
    await closed;
    expect((await good.call("sayHello", ["after"])).reply.message).toBe("hello after");
    good.close();
  });
});
