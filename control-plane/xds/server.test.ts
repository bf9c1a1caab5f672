/** The ADS server seen from a bare gRPC client: names honoured, nonces checked, NACKs kept. */
import * as grpc from "@grpc/grpc-js";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { loadResourceFiles } from "../resources/index.ts";
import { translate, TYPE_URL } from "../translate/index.ts";
import { envoyRoot, TO_OBJECT_OPTIONS } from "../../common/envoy-protos.ts";
import { startXdsServer, type XdsServer } from "./server.ts";
import { SnapshotCache } from "./snapshot-cache.ts";
import { XdsStatusTracker } from "./xds-status.ts";

const HOST = "hello.meta-thrift.svc.cluster.local";
const testdata = fileURLToPath(new URL("../testdata/thrift-hello.yaml", import.meta.url));

interface Response {
  version_info: string;
  nonce: string;
  type_url: string;
  resources: Array<{ type_url: string; value: Uint8Array }>;
}

function adsStream(port: number) {
  const root = envoyRoot();
  const Req = root.lookupType("envoy.service.discovery.v3.DiscoveryRequest");
  const Res = root.lookupType("envoy.service.discovery.v3.DiscoveryResponse");
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources",
    (m: object) => Buffer.from(Req.encode(Req.fromObject(m)).finish()),
    (b: Buffer) => Res.toObject(Res.decode(b), TO_OBJECT_OPTIONS) as Response,
  );
  const received: Response[] = [];
  const waiters: Array<() => void> = [];
  call.on("data", (r: Response) => {
    received.push(r);
    waiters.splice(0).forEach((w) => w());
  });
  call.on("error", () => undefined);
  return {
    send: (m: object) => call.write(m),
    async next(): Promise<Response> {
      while (received.length === 0) await new Promise<void>((r) => waiters.push(r));
      return received.shift()!;
    },
    close() {
      call.cancel();
      client.close();
    },
  };
}

let server: XdsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("ADS server", () => {
  it("honours resource_names for EDS, ignores stale nonces and keeps the NACK reason", async () => {
    const cache = new SnapshotCache();
    const tracker = new XdsStatusTracker();
    const out = translate(loadResourceFiles([testdata]).resources);
    cache.set(out);
    server = await startXdsServer({ port: 0, cache, tracker });
    const s = adsStream(server.port);
    const wanted = `outbound|9090|v2|${HOST}`;
    s.send({ node: { id: "p1" }, type_url: TYPE_URL.endpoint, resource_names: [wanted] });
    const first = await s.next();
    expect(first).toMatchObject({ version_info: "1", type_url: TYPE_URL.endpoint });
    const CLA = envoyRoot().lookupType("envoy.config.endpoint.v3.ClusterLoadAssignment");
    expect(first.resources.map((a) => (CLA.toObject(CLA.decode(a.value)) as { cluster_name: string }).cluster_name)).toEqual([wanted]);

    // A changed endpoint set is pushed; only the changed resource travels.
    const changed = structuredClone(out);
    changed.endpoints.find((e) => e.cluster_name === wanted)!.endpoints[0]!.lb_endpoints[0]!.endpoint.address.socket_address.port_value = 19999;
    cache.set(changed);
    const second = await s.next();
    expect(second.version_info).toBe("2");
    expect(second.resources).toHaveLength(1);
    // An ACK for the first response arrives late: stale nonce, ignored.
    s.send({ type_url: TYPE_URL.endpoint, resource_names: [wanted], version_info: "1", response_nonce: first.nonce });
    s.send({ type_url: TYPE_URL.endpoint, resource_names: [wanted], version_info: "1", response_nonce: second.nonce, error_detail: { code: 3, message: "no such codec" } });
    const deadline = Date.now() + 2000;
    while (!tracker.status("2").proxies[0]?.types.ClusterLoadAssignment?.nack && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(tracker.status("2")).toEqual({
      version: "2",
      proxies: [{ id: "p1", connected: true, types: { ClusterLoadAssignment: { sentVersion: "2", nack: { version: "2", reason: "no such codec" } } } }],
    });
    expect(tracker.allAcked("2")).toBe(false);

    // Changing the names on an ACK gets the new set at once.
    s.send({ type_url: TYPE_URL.endpoint, resource_names: [`outbound|9090||${HOST}`, wanted], version_info: "2", response_nonce: second.nonce });
    const third = await s.next();
    // Only the newly subscribed name travels; the proxy already holds the other one.
    expect(third.resources.map((a) => (CLA.toObject(CLA.decode(a.value)) as { cluster_name: string }).cluster_name)).toEqual([`outbound|9090||${HOST}`]);
    s.send({ type_url: TYPE_URL.endpoint, resource_names: [`outbound|9090||${HOST}`, wanted], version_info: "2", response_nonce: third.nonce });
    while (!tracker.allAcked("2") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(tracker.status("2").proxies[0]!.types.ClusterLoadAssignment).toEqual({ sentVersion: "2", ackedVersion: "2" });
    s.close();
    while (tracker.status("2").proxies[0]!.connected && Date.now() < deadline + 2000) await new Promise((r) => setTimeout(r, 10));
    expect(tracker.status("2").proxies[0]!.connected).toBe(false);
    expect(tracker.allAcked("2")).toBe(true);
  });
});
