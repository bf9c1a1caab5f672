/** Incremental ADS: only changes travel, removals are named, known versions are not re-sent; per-namespace visibility. */
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { TYPE_URL } from "../../common/envoy-protos.ts";
import { loadResourceFiles, parseResources } from "../resources/index.ts";
import { translate } from "../translate/index.ts";
import { startXdsServer, type XdsServer } from "./server.ts";
import { SnapshotCache } from "./snapshot-cache.ts";
import { deltaStream, sotwStream, until } from "./testing.ts";
import { XdsStatusTracker } from "./xds-status.ts";

const HOST = "hello.meta-thrift.svc.cluster.local";
const testdata = fileURLToPath(new URL("../testdata/thrift-hello.yaml", import.meta.url));
const resources = loadResourceFiles([testdata]).resources;

let server: XdsServer | undefined;
const closers: Array<() => void> = [];
afterEach(async () => {
  closers.splice(0).forEach((c) => c());
  await server?.close();
  server = undefined;
});

describe("delta ADS", () => {
  it("sends everything first, then only what changed, names removals, honours initial versions, keeps NACK reasons", async () => {
    const cache = new SnapshotCache();
    const tracker = new XdsStatusTracker();
    const out = translate(resources);
    cache.set(out);
    server = await startXdsServer({ port: 0, cache, tracker });
    const s = deltaStream(server.port);
    closers.push(() => s.close());
    s.send({ node: { id: "d1" }, type_url: TYPE_URL.cluster });
    const first = await s.next();
    expect(first.system_version_info).toBe("1");
    expect(first.resources.map((r) => r.name)).toEqual([`outbound|9090||${HOST}`, `outbound|9090|v1|${HOST}`, `outbound|9090|v2|${HOST}`]);
    s.send({ type_url: TYPE_URL.cluster, response_nonce: first.nonce });
    await until("ack 1", () => tracker.allAcked("1"));

    // One cluster changes, one disappears.
    const next = structuredClone(out);
    next.clusters[1]!.connect_timeout = { seconds: 9 };
    next.clusters.splice(2, 1);
    cache.set(next);
    const second = await s.next();
    expect(second.resources.map((r) => r.name)).toEqual([`outbound|9090|v1|${HOST}`]);
    expect(second.removed_resources).toEqual([`outbound|9090|v2|${HOST}`]);
    s.send({ type_url: TYPE_URL.cluster, response_nonce: second.nonce, error_detail: { code: 3, message: "connect timeout too long" } });
    await until("nack", () => tracker.status("2").proxies[0]?.types.Cluster?.nack !== undefined);
    expect(tracker.status("2").proxies[0]!.types.Cluster).toEqual({ sentVersion: "2", ackedVersion: "1", nack: { version: "2", reason: "connect timeout too long" } });

    // A reconnecting client that already holds two clusters gets only the one it lacks.
    const again = deltaStream(server.port);
    closers.push(() => again.close());
    const held = Object.fromEntries(first.resources.slice(0, 1).map((r) => [r.name, r.version]));
    again.send({ node: { id: "d2" }, type_url: TYPE_URL.cluster, initial_resource_versions: held });
    const resumed = await again.next();
    expect(resumed.resources.map((r) => r.name)).toEqual([`outbound|9090|v1|${HOST}`]);
  });

  it("subscribes and unsubscribes EDS names", async () => {
    const cache = new SnapshotCache();
    const tracker = new XdsStatusTracker();
    cache.set(translate(resources));
    server = await startXdsServer({ port: 0, cache, tracker });
    const s = deltaStream(server.port);
    closers.push(() => s.close());
    s.send({ node: { id: "e" }, type_url: TYPE_URL.endpoint, resource_names_subscribe: [`outbound|9090|v1|${HOST}`] });
    const a = await s.next();
    expect(a.resources.map((r) => r.name)).toEqual([`outbound|9090|v1|${HOST}`]);
    s.send({ type_url: TYPE_URL.endpoint, response_nonce: a.nonce, resource_names_subscribe: [`outbound|9090|v2|${HOST}`], resource_names_unsubscribe: [`outbound|9090|v1|${HOST}`] });
    const b = await s.next();
    expect(b.resources.map((r) => r.name)).toEqual([`outbound|9090|v2|${HOST}`]);
    expect(b.removed_resources ?? []).toEqual([]);
  });
});

describe("per-proxy snapshots", () => {
  it("gives a proxy only the hosts exported to its namespace, and API listeners only to those asking by name", async () => {
    const extra = parseResources(
      `
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: private, namespace: team-a }
spec:
  hosts: [private.team-a.svc.cluster.local]
  exportTo: ["."]
  ports: [{ number: 7000, name: tcp-metaprotocol-thrift-private }]
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: greeter, namespace: team-a }
spec:
  hosts: [greeter.team-a.svc.cluster.local]
  ports: [{ number: 50051, name: grpc-greeter }]
`,
      "extra.yaml",
    ).resources;
    const cache = new SnapshotCache();
    const tracker = new XdsStatusTracker();
    cache.set(translate([...resources, ...extra]));
    server = await startXdsServer({ port: 0, cache, tracker });
    const names = async (namespace: string | undefined) => {
      const s = sotwStream(server!.port);
      closers.push(() => s.close());
      s.send({ node: { id: `p-${namespace}`, ...(namespace && { metadata: { fields: { NAMESPACE: { stringValue: namespace } } } }) }, type_url: TYPE_URL.listener });
      const r = await s.next();
      return r.resources.length;
    };
    expect(await names("team-a")).toBe(2);
    expect(await names("team-b")).toBe(1);
    const s = sotwStream(server.port);
    closers.push(() => s.close());
    s.send({ node: { id: "grpc" }, type_url: TYPE_URL.listener, resource_names: ["greeter.team-a.svc.cluster.local:50051"] });
    expect((await s.next()).resources).toHaveLength(1);
  });
});
