/**
 * Real Envoy against meshsim's control plane, without the simulator: Envoy ACKs the Envoy-native
 * configuration, and cluster changes are ACKed at once — also when their endpoints did not change,
 * or changed in the same push. (Envoy replaces a changed cluster by one that warms until it gets
 * its endpoints again; a server that sends only what changed leaves it warming, and the CDS update
 * unacknowledged, until Envoy's 15 s initial fetch timeout — as this control plane did.)
 */
import { afterEach, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane } from "../../../control-plane/server.ts";
import { parseResources } from "../../../control-plane/resources/parse.ts";
import { ProcessSupervisor } from "../process-supervisor.ts";
import { allocatePort } from "../../../common/ports.ts";
import { envoySidecarSpawn } from "./sidecar.ts";
import { processAlive } from "../../testing/processes.ts";

const SERVICES = `
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: hello}
spec:
  hosts: [hello.default.svc.cluster.local]
  ports: [{number: 9090, name: tcp-metaprotocol-thrift-hello}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1, ports: {tcp-metaprotocol-thrift-hello: 7001}, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: orders}
spec:
  hosts: [orders.default.svc.cluster.local]
  ports: [{number: 20880, name: tcp-metaprotocol-dubbo-orders}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1, ports: {tcp-metaprotocol-dubbo-orders: 7002}}]
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: cache}
spec:
  hosts: [cache.default.svc.cluster.local]
  ports: [{number: 6379, name: tcp-redis}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1, ports: {tcp-redis: 7003}}]
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: hello}
spec:
  host: hello.default.svc.cluster.local
  subsets: [{name: v1, labels: {version: v1}}]
`;

function resources(yaml: string) {
  const { resources: out, problems } = parseResources(yaml, "test.yaml");
  expect(problems).toEqual([]);
  return out;
}

async function acked(cp: ControlPlane, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cp.status().proxies.length > 0 && cp.allAcked()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe("Envoy fed by meshsim's control plane", () => {
  const supervisor = new ProcessSupervisor();
  let cp: ControlPlane | undefined;
  afterEach(async () => {
    await supervisor.stopAll();
    await cp?.close();
  });

  it("ACKs thrift_proxy, dubbo_proxy and redis_proxy listeners, and a cluster change with unchanged endpoints", async () => {
    cp = await startControlPlane();
    cp.store.apply(resources(SERVICES));
    const ports = {
      "hello.default.svc.cluster.local_9090": await allocatePort(),
      "orders.default.svc.cluster.local_20880": await allocatePort(),
      "cache.default.svc.cluster.local_6379": await allocatePort(),
    };
    await supervisor.start(envoySidecarSpawn("envoy", { nodeId: "envoy-1", cluster: "test", xdsAddress: { host: "127.0.0.1", port: cp.xdsPort }, listenerPorts: ports }));
    expect(await acked(cp, 10_000)).toBe(true);
    const types = cp.status().proxies[0]!.types;
    expect(Object.keys(types).sort()).toEqual(["Cluster", "ClusterLoadAssignment", "DubboMultipleRouteConfiguration", "Listener", "ThriftRouteConfiguration"]);

    cp.store.apply(
      resources(SERVICES.replace("subsets: [{name: v1, labels: {version: v1}}]", "trafficPolicy: {connectionPool: {tcp: {maxConnections: 2}}}\n  subsets: [{name: v1, labels: {version: v1}}]")),
    );
    await cp.settled();
    expect(await acked(cp, 5_000)).toBe(true);
    expect(cp.status().proxies[0]!.types.Cluster).toMatchObject({ ackedVersion: cp.status().version });

    // A cluster policy change and an endpoint change in one push.
    cp.store.apply(
      resources(
        SERVICES.replace("subsets: [{name: v1, labels: {version: v1}}]", "trafficPolicy: {connectionPool: {tcp: {maxConnections: 3}}}\n  subsets: [{name: v1, labels: {version: v1}}]").replace(
          "endpoints: [{address: 127.0.0.1, ports: {tcp-metaprotocol-thrift-hello: 7001}, labels: {version: v1}}]",
          "endpoints: [{address: 127.0.0.1, ports: {tcp-metaprotocol-thrift-hello: 7001}, labels: {version: v1}}, {address: 127.0.0.1, ports: {tcp-metaprotocol-thrift-hello: 7004}, labels: {version: v1}}]",
        ),
      ),
    );
    await cp.settled();
    expect(await acked(cp, 5_000)).toBe(true);
  });

  it("takes Envoy down with its launcher, even when the launcher is killed outright", async () => {
    cp = await startControlPlane();
    cp.store.apply(resources(SERVICES));
    const p = await supervisor.start(envoySidecarSpawn("envoy", { nodeId: "envoy-2", cluster: "test", xdsAddress: { host: "127.0.0.1", port: cp.xdsPort }, listenerPorts: {} }));
    const envoyPid = Number(p.ready.envoyPid);
    expect(processAlive(envoyPid)).toBe(true);
    await supervisor.stop("envoy", "SIGKILL");
    const deadline = Date.now() + 3000;
    while (processAlive(envoyPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(processAlive(envoyPid)).toBe(false);
  });
});
