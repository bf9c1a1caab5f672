/**
 * Real Envoy against meshsim's control plane, without the simulator: Envoy ACKs the Envoy-native
 * configuration, and a cluster change whose endpoints did not change is ACKed too. (Envoy warms
 * replaced clusters and asks again for their endpoints with the nonce it already acknowledged; a
 * server that answers only changes leaves the clusters warming and the CDS update unacknowledged
 * for ever — which is how this control plane behaved before it answered such requests.)
 */
import { afterEach, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane } from "../../../control-plane/server.ts";
import { parseResources } from "../../../control-plane/resources/parse.ts";
import { ProcessSupervisor } from "../process-supervisor.ts";
import { allocatePort } from "../../topology/ports.ts";
import { envoySidecarSpawn } from "./sidecar.ts";

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
    const ports = { "hello.default.svc.cluster.local_9090": await allocatePort(), "orders.default.svc.cluster.local_20880": await allocatePort(), "cache.default.svc.cluster.local_6379": await allocatePort() };
    await supervisor.start(envoySidecarSpawn("envoy", { nodeId: "envoy-1", cluster: "test", xdsAddress: { host: "127.0.0.1", port: cp.xdsPort }, listenerPorts: ports }));
    expect(await acked(cp, 10_000)).toBe(true);
    const types = cp.status().proxies[0]!.types;
    expect(Object.keys(types).sort()).toEqual(["Cluster", "ClusterLoadAssignment", "DubboMultipleRouteConfiguration", "Listener", "ThriftRouteConfiguration"]);

    cp.store.apply(resources(SERVICES.replace("subsets: [{name: v1, labels: {version: v1}}]", "trafficPolicy: {connectionPool: {tcp: {maxConnections: 2}}}\n  subsets: [{name: v1, labels: {version: v1}}]")));
    await cp.settled();
    expect(await acked(cp, 5_000)).toBe(true);
    expect(cp.status().proxies[0]!.types.Cluster).toMatchObject({ ackedVersion: cp.status().version });
  });
});
