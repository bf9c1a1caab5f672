/**
 * `meshsim explain --sidecar` on a real Envoy fed by meshsim's control plane: its thrift_proxy
 * and dubbo_proxy route configurations (fetched over trds/drds and listed in /config_dump),
 * clusters and endpoints are read, and the answer is Envoy's — including where Envoy differs
 * from meshsim's proxy because thrift_proxy cannot express a MetaRouter match.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane } from "../../control-plane/server.ts";
import { allocatePort } from "../../common/ports.ts";
import { ProcessSupervisor } from "../runtime/process-supervisor.ts";
import { envoySidecarSpawn } from "../runtime/envoy/sidecar.ts";
import { configFromEnvoyDump } from "./envoy-dump.ts";
import { explain, type Explanation } from "./explain.ts";
import { sourceFromResources } from "./explain-command.ts";
import { loadResourceFiles } from "../../control-plane/resources/parse.ts";

const FILES = ["simulator/explain/testdata/hello.yaml", "simulator/explain/testdata/orders-dubbo.yaml", "simulator/explain/testdata/cache-redis.yaml"];
const CACHE = "cache.default.svc.cluster.local";
const HELLO = "hello.default.svc.cluster.local";
const ORDERS = "orders.default.svc.cluster.local";

const supervisor = new ProcessSupervisor();
let cp: ControlPlane | undefined;
afterEach(async () => {
  await supervisor.stopAll();
  await cp?.close();
});

const routed = (e: Explanation) => [e.route?.name, e.route?.destinations.map((d) => `${d.cluster} ${d.share}% ${d.endpoints.map((x) => x.address).join(",")}`)];

describe("meshsim explain on an Envoy sidecar's /config_dump", () => {
  it("routes Thrift and Dubbo requests as Envoy's filters do, with Envoy's clusters and endpoints", async () => {
    cp = await startControlPlane({ files: FILES });
    const listenerPorts = {
      [`${HELLO}_9090`]: await allocatePort(),
      [`${ORDERS}_20880`]: await allocatePort(),
      [`${CACHE}_6379`]: await allocatePort(),
      ["users.default.svc.cluster.local_6380"]: await allocatePort(),
    };
    const envoy = await supervisor.start(envoySidecarSpawn("envoy", { nodeId: "envoy-explain", cluster: "caller", xdsAddress: { host: "127.0.0.1", port: cp.xdsPort }, listenerPorts }));
    const deadline = Date.now() + 15_000;
    while (!(cp.status().proxies.length === 1 && cp.allAcked()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(cp.allAcked()).toBe(true);
    const dump = await (await fetch(`http://127.0.0.1:${envoy.ready.adminPort}/config_dump?include_eds`)).json();
    const config = configFromEnvoyDump(dump)!;
    expect(config.rejected).toEqual([]);

    const canary = explain(config, { protocol: "thrift", host: HELLO, metadata: { method: "sayHello", env: "canary" } });
    expect(routed(canary)).toEqual(["route-0", [`outbound|9090|v2|${HELLO} 100% 127.0.0.1:19002`]]);
    expect(canary.route?.destinations[0]?.policies.map((p) => p.detail)).toEqual(["least_request", "maxConnections 10", "eject after 3 consecutive errors for 10000 ms (every 1000 ms, at most 10%)"]);

    // thrift_proxy has no prefix match: Envoy's second route takes every method, so a call meshsim's
    // proxy answers with no_route is split 80/20 (and mirrored) by Envoy. explain says so for each.
    const echo = explain(config, { host: HELLO, metadata: { method: "echo" } });
    expect(routed(echo)).toEqual(["route-1", [`outbound|9090|v1|${HELLO} 80% 127.0.0.1:19001`, `outbound|9090|v2|${HELLO} 20% 127.0.0.1:19002`]]);
    expect(echo.routes[0]?.conditions.filter((c) => !c.held).map((c) => c.attribute)).toEqual(["method", "env"]);
    expect(echo.policies.map((p) => p.detail)).toEqual([`50% copied to outbound|9090|v2|${HELLO}`]);
    const { resources } = loadResourceFiles(FILES);
    const files = sourceFromResources(resources, [], "files");
    expect(explain(files.config, { host: HELLO, metadata: { method: "echo" } }, files.provenance).outcome).toBe("no route matches: local reply no_route");

    const beta = explain(config, { protocol: "dubbo", host: ORDERS, metadata: { interface: "shop.OrderService", method: "findAll", tenant: "beta" } });
    expect(routed(beta)).toEqual([`${ORDERS}_20880/beta-queries`, [`outbound|20880|v2|${ORDERS} 100% 127.0.0.1:19102`]]);
    const alpha = explain(config, { host: ORDERS, metadata: { interface: "shop.OrderService", method: "findAll", tenant: "alpha" } });
    expect(routed(alpha)).toEqual([`${ORDERS}_20880/rest`, [`outbound|20880|v1|${ORDERS} 100% 127.0.0.1:19101`]]);
    expect(alpha.routes[0]?.conditions.find((c) => !c.held)).toMatchObject({ attribute: "tenant", expected: 'exact "beta"', actual: "alpha" });
    // The configuration's interface is a condition too (dubbo_proxy checks it before the routes).
    const other = explain(config, { host: ORDERS, metadata: { interface: "shop.Other", method: "findAll", tenant: "beta" } });
    expect(other.routes[0]?.conditions.filter((c) => !c.held).map((c) => c.attribute)).toEqual(["interface"]);
    expect(other.route?.name).toBe(`${ORDERS}_20880/rest`);

    // redis_proxy: the listener's prefix routes, read through the proxy's own Redis decoder.
    const user = explain(config, { protocol: "redis", host: CACHE, metadata: { command: "get", key: "user:1" } });
    expect(routed(user)).toEqual(['prefix "user:"', ["outbound|6380||users.default.svc.cluster.local 100% 127.0.0.1:19202"]]);
    const order = explain(config, { host: CACHE, metadata: { command: "get", key: "order:1" } });
    expect(routed(order)).toEqual(["catch-all", [`outbound|6379||${CACHE} 100% 127.0.0.1:19201`]]);
  }, 60_000);
});
