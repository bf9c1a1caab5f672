/**
 * Istio's labelled request metrics from real Thrift calls through a real proxy, read from the
 * admin's Prometheus text; and the endpoint identity they need, through the wire encoding.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeAny, encodeAny, TYPE_URL } from "../../common/envoy-protos.ts";
import { parseResources } from "../../control-plane/resources/index.ts";
import { translate } from "../../control-plane/translate/index.ts";
import { startAdminServer, type AdminServer } from "../admin/admin-server.ts";
import { proxyAdminView } from "../admin/admin-view.ts";
import { startThriftMesh, tally, type ThriftMesh } from "../testing/thrift-mesh.ts";
import { decodeClusterLoadAssignment } from "../xds/decode.ts";
import { RequestMetrics } from "./request-metrics.ts";

/** `metric{labels} value` lines whose labels include every pair of `want`. */
function sample(text: string, metric: string, want: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== metric) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(want).every(([k, v]) => labels[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe("labelled request metrics", () => {
  let mesh: ThriftMesh;
  let admin: AdminServer;
  const scrape = async () => (await fetch(`http://127.0.0.1:${admin.port}/stats/prometheus`)).text();
  beforeAll(async () => {
    mesh = await startThriftMesh({ v1: 1, v2: 1 });
    for (const v of ["v1", "v2"]) {
      const port = mesh.servers[v]![0]!.port;
      mesh.setCluster(`outbound|9090|${v}|hello.default.svc.cluster.local`, {}, [{ host: "127.0.0.1", port, workload: { name: `hello-${v}`, namespace: "default", app: "hello", version: v } }]);
    }
    admin = await startAdminServer(proxyAdminView(mesh.proxy), 0, () => ({}));
  });
  afterAll(async () => {
    await admin.close();
    await mesh.close();
  });

  it("counts requests by destination version, method and outcome, with their durations", async () => {
    mesh.setRoutes([
      {
        name: "r",
        match: [],
        action: {
          kind: "weighted",
          clusters: [
            { name: "outbound|9090|v1|hello.default.svc.cluster.local", weight: 50 },
            { name: "outbound|9090|v2|hello.default.svc.cluster.local", weight: 50 },
          ],
        },
      },
    ]);
    const c = mesh.client();
    const { ok } = await tally(Array.from({ length: 200 }, () => c.sayHello("x")));
    const text = await scrape();
    const base = { reporter: "source", destination_service: "hello.default.svc.cluster.local", destination_app: "hello", request_protocol: "thrift", request_method: "sayHello", outcome: "ok" };
    for (const v of ["v1", "v2"]) {
      expect(sample(text, "istio_requests_total", { ...base, destination_version: v, destination_workload: `hello-${v}` })).toBe(ok[v]);
      expect(sample(text, "istio_request_duration_milliseconds_count", { ...base, destination_version: v })).toBe(ok[v]);
      expect(sample(text, "istio_request_duration_milliseconds_bucket", { ...base, destination_version: v, le: "+Inf" })).toBe(ok[v]);
      expect(sample(text, "istio_request_duration_milliseconds_sum", { ...base, destination_version: v })).toBeGreaterThan(0);
    }
    expect(text).toContain("# TYPE istio_request_duration_milliseconds histogram");
  });

  it("labels a local reply with its reason", async () => {
    mesh.setRoutes([
      { name: "abort", match: [], action: { kind: "cluster", cluster: "outbound|9090|v1|hello.default.svc.cluster.local" }, fault: { abort: { percentage: 100, errorKind: "fault_abort" } } },
    ]);
    await tally(Array.from({ length: 7 }, () => mesh.client().sayHello("x")));
    expect(sample(await scrape(), "istio_requests_total", { outcome: "fault_abort", destination_workload: "unknown", request_method: "sayHello" })).toBe(7);
  });
});

describe("endpoint identity over xDS", () => {
  it("carries each endpoint's workload, namespace, app and version as Istio's istio.workload metadata", () => {
    const { resources } = parseResources(
      `apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: hello, namespace: shop}
spec:
  hosts: [hello.shop.svc.cluster.local]
  ports: [{number: 9090, name: tcp-metaprotocol-thrift-hello, protocol: TCP}]
  resolution: STATIC
  endpoints:
    - {address: 127.0.0.1, ports: {tcp-metaprotocol-thrift-hello: 9091}, labels: {version: v2}}
    - {address: 127.0.0.2, ports: {tcp-metaprotocol-thrift-hello: 9091}, labels: {app: greeter}}
`,
      "t.yaml",
    );
    const cla = translate(resources).endpoints.find((e) => e.cluster_name === "outbound|9090||hello.shop.svc.cluster.local")!;
    const any = encodeAny(TYPE_URL.endpoint, cla);
    expect(decodeClusterLoadAssignment(decodeAny(any.type_url, any.value)).endpoints).toEqual([
      { host: "127.0.0.1", port: 9091, workload: { name: "hello-v2", namespace: "shop", app: "hello", version: "v2" } },
      { host: "127.0.0.2", port: 9091, workload: { name: "greeter", namespace: "shop", app: "greeter", version: "latest" } },
    ]);
  });
});

describe("series identity", () => {
  it("an endpoint update repeating the same identity, or another cluster reaching the same workload, keeps one series per label set", () => {
    const cla = (port: number) => ({
      cluster_name: "c",
      endpoints: [
        {
          lb_endpoints: [
            { endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: port } } }, metadata: { filter_metadata: { istio: { workload: "hello-v1;default;hello;v1;Kubernetes" } } } },
          ],
        },
      ],
    });
    const roundTrip = (port: number) => {
      const any = encodeAny(TYPE_URL.endpoint, cla(port));
      return decodeClusterLoadAssignment(decodeAny(any.type_url, any.value)).endpoints[0]!.workload;
    };
    const metrics = new RequestMetrics({ name: "caller", namespace: "default", version: "unknown" });
    metrics.record("thrift", "outbound|9090|v1|hello.default.svc.cluster.local", roundTrip(1), "m", "ok", 1);
    metrics.record("thrift", "outbound|9090|v1|hello.default.svc.cluster.local", roundTrip(1), "m", "ok", 1);
    // Another cluster name for the same host and workload (a subset-less cluster): the same labels.
    metrics.record("thrift", "outbound|9090||hello.default.svc.cluster.local", roundTrip(1), "m", "ok", 1);
    const lines = metrics
      .prometheus()
      .split("\n")
      .filter((l) => l.startsWith("istio_requests_total{"));
    expect(lines).toEqual([expect.stringMatching(/destination_workload="hello-v1".* 3$/)]);
  });
});
