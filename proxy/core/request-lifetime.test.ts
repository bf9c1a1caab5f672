/**
 * Requests that never get a response do not hold upstream slots for ever: the default timeout
 * answers them, and a client that goes away releases them. npm thrift client → Proxy → the
 * Thrift Hello fixture, whose sayHelloSlowly holds its reply as long as asked.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createHelloClient } from "../../fixtures/thrift/hello-client.ts";
import { startThriftServer, type RunningThriftServer } from "../../fixtures/thrift/hello-server.ts";
import type { RouteConfig } from "../config/types.ts";
import { Proxy } from "../proxy.ts";

const NAME = "hello.default.svc.cluster.local_9090";
const CLUSTER = "outbound|9090||hello";
const DEFAULT_TIMEOUT_MS = 400;

let server: RunningThriftServer;
let proxy: Proxy;
let port: number;

function routes(timeoutMs?: number): RouteConfig {
  return { name: NAME, routes: [{ name: "all", match: [], action: { kind: "cluster", cluster: CLUSTER }, ...(timeoutMs !== undefined && { timeoutMs }) }] };
}

beforeAll(async () => {
  server = await startThriftServer({ service: "hello", version: "v1", instance: "hello-v1-0" });
  proxy = new Proxy({ defaultTimeoutMs: DEFAULT_TIMEOUT_MS });
  proxy.setClusters([{ name: CLUSTER, lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 1 }]);
  proxy.setEndpoints([{ clusterName: CLUSTER, endpoints: [{ host: "127.0.0.1", port: server.port }] }]);
  proxy.setRoutes([routes()]);
  await proxy.setListeners([{ name: NAME, address: { host: "127.0.0.1", port: 0 }, codec: "thrift", routeConfigName: NAME, statPrefix: "hello" }]);
  port = proxy.listeners.addresses()[NAME]!.port;
});

afterAll(async () => {
  await proxy?.close();
  await server?.close();
});

const stat = (name: string) => proxy.stats.get(`cluster.${CLUSTER}.${name}`);
const listenerStat = (name: string) => proxy.stats.get(`listener.${NAME}.${name}`);

describe("request lifetime", () => {
  it("releases and counts the requests of a client that went away without their replies", async () => {
    const client = createHelloClient({ port });
    await client.connected;
    const before = stat("upstream_rq_cancelled");
    proxy.setRoutes([routes(60_000)]);
    const calls = Array.from({ length: 5 }, (_, i) => client.sayHelloSlowly(`gone-${i}`, 20_000).catch(() => undefined));
    await vi.waitFor(() => expect(stat("upstream_rq_active")).toBe(5), { timeout: 3000 });
    await client.close();
    await Promise.all(calls);
    await vi.waitFor(() => expect(stat("upstream_rq_active"), "upstream_rq_active after the client left").toBe(0), { timeout: 2000 });
    expect(stat("upstream_rq_cancelled") - before).toBe(5);
    expect(listenerStat("downstream_cx_destroy_remote_active_rq")).toBeGreaterThanOrEqual(1);
  });

  it("answers a request with no route timeout after the default timeout, and releases it", async () => {
    proxy.setRoutes([routes()]);
    const client = createHelloClient({ port });
    const timeoutsBefore = stat("upstream_rq_timeout");
    const started = Date.now();
    const outcome = await Promise.race([
      client.sayHelloSlowly("slow", 3000).then(
        () => "answered by the server",
        (e: Error) => e.message,
      ),
      new Promise<string>((resolve) => setTimeout(() => resolve("no reply within 2 s"), 2000)),
    ]);
    expect(outcome).toMatch(`no response within the default timeout of ${DEFAULT_TIMEOUT_MS} ms`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(DEFAULT_TIMEOUT_MS - 20);
    expect(stat("upstream_rq_timeout") - timeoutsBefore).toBe(1);
    expect(stat("upstream_rq_active")).toBe(0);
    // The client is still usable.
    expect((await client.sayHello("after")).message).toBe("hello after");
    await client.close();
  });

  it("waits as long as the route says, and for ever with an explicit 0", async () => {
    const client = createHelloClient({ port });
    proxy.setRoutes([routes(2000)]);
    expect((await client.sayHelloSlowly("longer", DEFAULT_TIMEOUT_MS + 300)).message).toBe("hello longer");
    proxy.setRoutes([routes(0)]);
    expect((await client.sayHelloSlowly("unbounded", DEFAULT_TIMEOUT_MS + 300)).message).toBe("hello unbounded");
    await client.close();
  });
});
