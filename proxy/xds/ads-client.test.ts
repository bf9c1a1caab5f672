/**
 * The ADS client against the real control plane on port 0: first configuration, a route
 * update on the same stream, ACK and NACK as seen in the control plane's status.
 */
import * as http2 from "node:http2";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { ConfigSink } from "../config/config-sink.ts";
import type { ClusterConfig, ClusterLoadAssignment, ListenerConfig, RouteConfig } from "../config/types.ts";
import { loadResourceFiles, parseResources } from "../../control-plane/resources/index.ts";
import { startControlPlane, type ControlPlane } from "../../control-plane/server.ts";
import { startAdsClient, type AdsClient } from "./ads-client.ts";

const HOST = "hello.meta-thrift.svc.cluster.local";
const testdata = fileURLToPath(new URL("../../control-plane/testdata/thrift-hello.yaml", import.meta.url));

class RecordingSink implements ConfigSink {
  listeners: ListenerConfig[] = [];
  clusters: ClusterConfig[] = [];
  endpoints: ClusterLoadAssignment[] = [];
  routes: RouteConfig[] = [];
  routeUpdates = 0;
  /** When set, setRoutes rejects updates with this message. */
  rejectRoutes: string | undefined;
  setListeners(l: ListenerConfig[]) {
    this.listeners = l;
  }
  setClusters(c: ClusterConfig[]) {
    this.clusters = c;
  }
  setEndpoints(e: ClusterLoadAssignment[]) {
    this.endpoints = e;
  }
  async setRoutes(r: RouteConfig[]) {
    await Promise.resolve();
    if (this.rejectRoutes) throw new Error(this.rejectRoutes);
    this.routes = r;
    this.routeUpdates += 1;
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const routerYaml = (subset: string) => `
apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata:
  name: hello
  namespace: meta-thrift
spec:
  hosts: [${HOST}]
  routes:
    - name: to-${subset}
      match:
        attributes:
          method: { exact: sayHello }
      route:
        - destination: { host: ${HOST}, subset: ${subset} }
`;

let cp: ControlPlane | undefined;
let client: AdsClient | undefined;

afterEach(async () => {
  client?.close();
  await cp?.close();
  client = undefined;
  cp = undefined;
});

async function setup(sink: ConfigSink) {
  cp = await startControlPlane();
  const { resources } = loadResourceFiles([testdata]);
  cp.store.apply(resources.filter((r) => r.kind !== "MetaRouter"));
  await cp.settled();
  client = startAdsClient(
    { node: { id: "sidecar-1", cluster: "hello-client", metadata: { version: "v1" } }, xds: { address: `127.0.0.1:${cp.xdsPort}` }, admin: { host: "127.0.0.1", port: 0 } },
    sink,
    { backoffInitialMs: 20 },
  );
  return cp;
}

describe("ADS client and server", () => {
  it("delivers the configuration, then a route update on the same stream, and both are ACKed", async () => {
    const sink = new RecordingSink();
    const cp = await setup(sink);
    await waitFor("first ACK", () => cp.status().proxies.length === 1 && cp.status().acked);
    expect(sink.listeners).toEqual([{ name: `${HOST}_9090`, address: { host: "240.240.0.10", port: 9090 }, codec: "thrift", routeConfigName: `${HOST}_9090`, statPrefix: `outbound|9090||${HOST}` }]);
    expect(sink.clusters.map((c) => c.name)).toEqual([`outbound|9090||${HOST}`, `outbound|9090|v1|${HOST}`, `outbound|9090|v2|${HOST}`]);
    expect(sink.endpoints.find((e) => e.clusterName === `outbound|9090|v2|${HOST}`)?.endpoints).toEqual([
      { host: "127.0.0.1", port: 19002, workload: { name: "thrift-hello-v2", namespace: "meta-thrift", app: "thrift-hello", version: "v2" } },
    ]);
    expect(sink.routes).toEqual([{ name: `${HOST}_9090`, routes: [{ name: "default", match: [], action: { kind: "cluster", cluster: `outbound|9090||${HOST}` } }] }]);
    const status = cp.status();
    expect(status.proxies).toEqual([
      {
        id: "sidecar-1",
        connected: true,
        types: Object.fromEntries(["Cluster", "ClusterLoadAssignment", "Listener", "RouteConfiguration"].map((t) => [t, { sentVersion: status.version, ackedVersion: status.version }])),
      },
    ]);

    cp.store.apply(parseResources(routerYaml("v2"), "router.yaml").resources);
    const version = await cp.settled();
    await waitFor("route update", () => sink.routes[0]?.routes[0]?.name === "to-v2");
    expect(sink.routes[0]!.routes).toEqual([{ name: "to-v2", match: [{ name: "method", kind: "exact", value: "sayHello" }], action: { kind: "cluster", cluster: `outbound|9090|v2|${HOST}` } }]);
    await waitFor("ACK of the route update", () => cp.allAcked(version));
    expect(cp.status().proxies[0]!.types.RouteConfiguration).toEqual({ sentVersion: version, ackedVersion: version });
    expect(client!.status()).toMatchObject({ connected: true, reconnects: 0, types: { RouteConfiguration: { version } } });
  });

  it("NACKs an update the sink rejects, keeps the previous version, and shows the reason in status", async () => {
    const sink = new RecordingSink();
    const cp = await setup(sink);
    await waitFor("first ACK", () => cp.status().proxies.length === 1 && cp.status().acked);
    const good = cp.status().version;
    sink.rejectRoutes = "route to-v1: regex does not compile";
    cp.store.apply(parseResources(routerYaml("v1"), "router.yaml").resources);
    const bad = await cp.settled();
    const rs = await waitFor("NACK", () => cp.status().proxies[0]?.types.RouteConfiguration?.nack && cp.status().proxies[0]!.types.RouteConfiguration);
    expect(rs).toEqual({ sentVersion: bad, ackedVersion: good, nack: { version: bad, reason: "route to-v1: regex does not compile" } });
    expect(cp.status().acked).toBe(false);
    expect(client!.status().types.RouteConfiguration).toMatchObject({ version: good, nack: { version: bad, reason: "route to-v1: regex does not compile" } });
    expect(sink.routes[0]!.routes[0]!.name).toBe("default");

    // The next acceptable version clears the NACK.
    sink.rejectRoutes = undefined;
    cp.store.apply(parseResources(routerYaml("v2"), "router.yaml").resources);
    const fixed = await cp.settled();
    await waitFor("ACK after NACK", () => cp.allAcked(fixed));
    expect(cp.status().proxies[0]!.types.RouteConfiguration).toEqual({ sentVersion: fixed, ackedVersion: fixed });
  });

  it("reconnects after the control plane restarts and resubscribes", async () => {
    const sink = new RecordingSink();
    const first = await setup(sink);
    await waitFor("first ACK", () => first.status().acked && first.status().proxies.length === 1);
    const port = first.xdsPort;
    await first.close();
    cp = await startControlPlane({ xdsPort: port });
    cp.store.apply(loadResourceFiles([testdata]).resources);
    await cp.settled();
    await waitFor("routes from the new control plane", () => sink.routes[0]?.routes[0]?.name === "by-method", 10000);
    expect(client!.status().reconnects).toBeGreaterThan(0);
    await waitFor("ACK on the new control plane", () => cp!.status().proxies[0]?.connected && cp!.status().acked);
  });
});

describe("ADS client against a server that sends garbage", () => {
  it("reports an undecodable response once, as what it is, and reconnects", async () => {
    let streams = 0;
    const server = http2.createServer();
    server.on("session", (s) => s.on("error", () => undefined));
    server.on("stream", (stream) => {
      stream.on("error", () => undefined);
      stream.resume();
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      // First stream: a message protobuf cannot read, then a valid (empty) one in the same write.
      if (streams++ === 0) stream.write(Buffer.from([0, 0, 0, 0, 2, 0x0a, 0xff, 0, 0, 0, 0, 0]));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const errors: string[] = [];
    try {
      client = startAdsClient(
        { node: { id: "n", cluster: "c" }, xds: { address: `127.0.0.1:${(server.address() as { port: number }).port}` }, admin: { host: "127.0.0.1", port: 0 } },
        new RecordingSink(),
        {
          backoffInitialMs: 20,
          onError: (e) => errors.push(e.message),
        },
      );
      await waitFor("a second stream", () => streams >= 2);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^an undecodable DiscoveryResponse: /);
      expect(client.status().connected).toBe(false);
    } finally {
      client?.close();
      client = undefined;
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
