/**
 * The Envoy translation and its list of what Envoy cannot express. Envoy itself accepting the
 * output (ACK) is checked with the real binary in simulator/envoy-data-plane.test.ts.
 */
import { describe, expect, it } from "vitest";
import { parseResources } from "../../resources/parse.ts";
import { envoyUnsupported, translateForEnvoy, unsupportedProblem } from "./index.ts";
import { toStruct } from "../../../common/envoy-protos.ts";
import { envoyOptionsOf } from "../../xds/data-plane-caches.ts";

const SERVICES = `
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: hello}
spec:
  hosts: [hello.default.svc.cluster.local]
  ports: [{number: 9090, name: tcp-metaprotocol-thrift-hello}]
  resolution: STATIC
  endpoints:
    - {address: 127.0.0.1, ports: {tcp-metaprotocol-thrift-hello: 7001}, labels: {version: v1}}
    - {address: 127.0.0.1, ports: {tcp-metaprotocol-thrift-hello: 7002}, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: orders}
spec:
  hosts: [orders.default.svc.cluster.local]
  ports: [{number: 20880, name: tcp-metaprotocol-dubbo-orders}]
  resolution: STATIC
  endpoints:
    - {address: 127.0.0.1, ports: {tcp-metaprotocol-dubbo-orders: 7003}, labels: {version: v1}}
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: hello}
spec:
  host: hello.default.svc.cluster.local
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: orders}
spec:
  host: orders.default.svc.cluster.local
  subsets: [{name: v1, labels: {version: v1}}]
`;

function load(yaml: string) {
  const { resources, problems } = parseResources(`${SERVICES}---\n${yaml}`, "test.yaml");
  expect(problems).toEqual([]);
  return resources;
}

const THRIFT_ROUTER = `
apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: {name: hello}
spec:
  hosts: [hello.default.svc.cluster.local]
  routes:
    - name: multiplexed
      match: {attributes: {service: {exact: Hello}, method: {exact: sayHello}}}
      route: [{destination: {host: hello.default.svc.cluster.local, subset: v2}}]
    - name: tenant
      match: {attributes: {tenant: {prefix: beta}}}
      route:
        - {destination: {host: hello.default.svc.cluster.local, subset: v1}, weight: 0}
        - {destination: {host: hello.default.svc.cluster.local, subset: v2}, weight: 100}
    - name: rest
      route:
        - {destination: {host: hello.default.svc.cluster.local, subset: v1}, weight: 30}
        - {destination: {host: hello.default.svc.cluster.local, subset: v2}, weight: 70}
      mirror: {host: hello.default.svc.cluster.local, subset: v2}
      mirrorPercentage: {value: 25}
`;

const DUBBO_ROUTER = `
apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: {name: orders}
spec:
  hosts: [orders.default.svc.cluster.local]
  routes:
    - name: get
      match: {attributes: {interface: {prefix: org.example.}, method: {prefix: get}, tenant: {exact: beta}}}
      route: [{destination: {host: orders.default.svc.cluster.local, subset: v1}}]
    - name: any
      route: [{destination: {host: orders.default.svc.cluster.local}}]
`;

describe("translateForEnvoy", () => {
  it("gives Thrift hosts thrift_proxy with route discovery, bound where the node says", () => {
    const out = translateForEnvoy(load(THRIFT_ROUTER), { listenerPorts: { "hello.default.svc.cluster.local_9090": 15001 } });
    expect(out.listeners.map((l) => [l.name, l.address?.socket_address])).toEqual([["hello.default.svc.cluster.local_9090", { address: "127.0.0.1", port_value: 15001 }]]);
    const filter = out.listeners[0]!.filter_chains![0]!.filters[0]!;
    expect(filter.name).toBe("envoy.filters.network.thrift_proxy");
    expect(filter.typed_config.value).toMatchObject({ transport: "AUTO_TRANSPORT", protocol: "AUTO_PROTOCOL", trds: { route_config_name: "hello.default.svc.cluster.local_9090" } });
  });

  it("gives endpoints named by host name (container aliases) STRICT_DNS clusters that carry them: Envoy's EDS takes addresses only", () => {
    const named = load(THRIFT_ROUTER).map((r) =>
      r.kind === "ServiceEntry" ? { ...r, spec: { ...r.spec, resolution: "DNS", endpoints: r.spec.endpoints.map((e, i) => ({ ...e, address: `hello-${i}` })) } } : r,
    );
    const out = translateForEnvoy(named, { listenerPorts: { "hello.default.svc.cluster.local_9090": 15001 } });
    const cluster = out.clusters.find((c) => c.name === "outbound|9090|v1|hello.default.svc.cluster.local")!;
    expect(cluster.type).toBe("STRICT_DNS");
    expect(cluster.eds_cluster_config).toBeUndefined();
    expect(cluster.load_assignment!.endpoints[0]!.lb_endpoints.map((e) => e.endpoint.address.socket_address.address)).toEqual(["hello-0"]);
    expect(out.endpoints.map((e) => e.cluster_name)).toEqual([]);
  });

  it("binds the listeners on the host the node names (a sidecar in a container: every address of its namespace)", () => {
    const node = { metadata: toStruct({ MESHSIM_DATA_PLANE: "envoy", MESHSIM_LISTENER_PORTS: { "hello.default.svc.cluster.local_9090": 15001 }, MESHSIM_LISTENER_HOST: "0.0.0.0" }) };
    const out = translateForEnvoy(load(THRIFT_ROUTER), envoyOptionsOf(node));
    expect(out.listeners.map((l) => l.address?.socket_address)).toEqual([{ address: "0.0.0.0", port_value: 15001 }]);
  });

  it("maps method/service to thrift_proxy's name matches, other attributes to header matches, and drops zero weights", () => {
    // biome-ignore lint/suspicious/noExplicitAny: translated Envoy config read untyped in assertions
    const routes = translateForEnvoy(load(THRIFT_ROUTER)).thriftRoutes![0]!.routes as Array<Record<string, any>>;
    expect(routes[0]!.match).toEqual({ method_name: "Hello:sayHello" });
    expect(routes[0]!.route).toEqual({ cluster: "outbound|9090|v2|hello.default.svc.cluster.local" });
    expect(routes[1]!.match).toEqual({ method_name: "", headers: [{ name: "tenant", string_match: { prefix: "beta" } }] });
    expect(routes[1]!.route).toEqual({ cluster: "outbound|9090|v2|hello.default.svc.cluster.local" });
    expect(routes[2]!.route.weighted_clusters.clusters.map((c: { weight: { value: number } }) => c.weight.value)).toEqual([30, 70]);
    expect(routes[2]!.route.request_mirror_policies).toEqual([
      {
        cluster: "outbound|9090|v2|hello.default.svc.cluster.local",
        runtime_fraction: { default_value: { numerator: 250_000, denominator: "MILLION" }, runtime_key: "meshsim.mirror.hello.default.svc.cluster.local_9090.rest" },
      },
    ]);
  });

  it("gives Dubbo hosts dubbo_proxy, one route configuration per MetaRouter route so their order holds", () => {
    const out = translateForEnvoy(load(DUBBO_ROUTER));
    const filter = out.listeners.find((l) => l.name === "orders.default.svc.cluster.local_20880")!.filter_chains![0]!.filters[0]!;
    expect(filter.name).toBe("envoy.filters.network.dubbo_proxy");
    // biome-ignore lint/suspicious/noExplicitAny: translated Envoy config read untyped in assertions
    const configs = out.dubboRoutes![0]!.route_config as Array<Record<string, any>>;
    expect(configs.map((c) => c.interface)).toEqual(["org.example.*", "*"]);
    expect(configs[0]!.routes[0].match).toEqual({ method: { name: { prefix: "get" } }, headers: [{ name: "tenant", string_match: { exact: "beta" } }] });
    expect(configs[1]!.routes[0].match).toEqual({ method: { name: { safe_regex: { regex: ".*" } } } });
  });

  it("keeps ServiceEntry exportTo: Envoy nodes see only the hosts exported to their namespace", () => {
    const { resources, problems } = parseResources(SERVICES.replace("  hosts: [hello.default.svc.cluster.local]", '  hosts: [hello.default.svc.cluster.local]\n  exportTo: ["."]'), "test.yaml");
    expect(problems).toEqual([]);
    expect(translateForEnvoy(resources).visibility).toEqual({ "hello.default.svc.cluster.local": ["default"] });
  });

  it("leaves out listeners the node does not bind, and Kafka", () => {
    const out = translateForEnvoy(load(THRIFT_ROUTER), { listenerPorts: {} });
    expect(out.listeners).toEqual([]);
  });
});

describe("envoyUnsupported", () => {
  const reasons = (yaml: string) => envoyUnsupported(load(yaml)).map((u) => `${u.path.join(".")}: ${u.reason}`);

  it("has nothing to say about what thrift_proxy and dubbo_proxy express", () => {
    expect(reasons(THRIFT_ROUTER)).toEqual([]);
    expect(reasons(DUBBO_ROUTER)).toEqual([]);
  });

  it("names each field Envoy's filters cannot carry out, with the missing capability", () => {
    const found = reasons(`
apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata:
  name: hello
  annotations:
    meshsim.dev/route-policies: |
      prefixed: {timeout: 1s, retries: {attempts: 2, retryOn: [reset]}}
spec:
  hosts: [hello.default.svc.cluster.local]
  localRateLimit: {tokenBucket: {maxTokens: 10, tokensPerFill: 10, fillInterval: 1s}}
  routes:
    - name: prefixed
      match: {attributes: {method: {prefix: say}}}
      route: [{destination: {host: hello.default.svc.cluster.local, subset: v1}}]
      requestMutation: [{key: k, value: v}]
---
apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: {name: orders}
spec:
  hosts: [orders.default.svc.cluster.local]
  routes:
    - name: mirrored
      route: [{destination: {host: orders.default.svc.cluster.local, subset: v1}}]
      mirror: {host: orders.default.svc.cluster.local, subset: v1}
`);
    expect(found).toEqual([
      "spec.routes.0.match.attributes.method.prefix: thrift_proxy matches method and service names exactly (RouteMatch.method_name / service_name); prefix and regex apply only to THeader headers",
      "spec.routes.0.requestMutation: thrift_proxy routes cannot add headers or attachments (no request/response_headers_to_add in its RouteAction)",
      "metadata.annotations.meshsim.dev/route-policies: prefixed.timeout: thrift_proxy's RouteAction has no timeout; only the cluster's connect timeout applies",
      "metadata.annotations.meshsim.dev/route-policies: prefixed.retries: thrift_proxy has no retry policy",
      expect.stringMatching(/^spec\.localRateLimit: thrift_proxy has no per-request local rate limit filter/),
      "spec.routes.0.mirror: dubbo_proxy's RouteAction has no request mirror policy",
    ]);
  });

  it("reports connection-pool request limits, consistent hashing, Dubbo authorization and Kafka", () => {
    const found = reasons(`
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: hello-pool}
spec:
  host: hello.default.svc.cluster.local
  trafficPolicy:
    connectionPool: {http: {http2MaxRequests: 4}}
    loadBalancer: {consistentHash: {httpHeaderName: user}}
---
apiVersion: dubbo.aeraki.io/v1alpha1
kind: DubboAuthorizationPolicy
metadata: {name: deny}
spec:
  action: DENY
  rules: [{to: [{operation: {methods: [getOrder]}}]}]
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: kafka}
spec:
  hosts: [kafka.default.svc.cluster.local]
  ports: [{number: 9092, name: tcp-kafka-broker-1}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1, ports: {tcp-kafka-broker-1: 7009}}]
`);
    expect(found).toEqual([
      expect.stringMatching(/^spec: thrift_proxy routes carry no hash policy/),
      expect.stringMatching(/^spec\.trafficPolicy\.connectionPool\.http\.http2MaxRequests: thrift_proxy holds one pooled TCP connection per request/),
      expect.stringMatching(/^spec: upstream Envoy has no dubbo_proxy filter that authorizes by interface or method/),
      expect.stringMatching(/^spec\.ports\.0\.name: the official Envoy build has no kafka_broker or kafka_mesh filter/),
    ]);
  });

  it("reports a Dubbo version match that is not exact, and request limits set per port", () => {
    const found = reasons(`
apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: {name: orders}
spec:
  hosts: [orders.default.svc.cluster.local]
  routes:
    - name: v1x
      match: {attributes: {version: {prefix: "1."}}}
      route: [{destination: {host: orders.default.svc.cluster.local, subset: v1}}]
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: hello-ports}
spec:
  host: hello.default.svc.cluster.local
  trafficPolicy:
    portLevelSettings: [{port: {number: 9090}, connectionPool: {http: {http2MaxRequests: 4}}}]
`);
    expect(found).toEqual([
      expect.stringMatching(/^spec\.routes\.0\.match\.attributes\.version\.prefix: dubbo_proxy matches the service version exactly/),
      expect.stringMatching(/^spec\.trafficPolicy\.portLevelSettings\.0\.connectionPool\.http\.http2MaxRequests: thrift_proxy holds one pooled TCP connection/),
    ]);
  });

  it("locates each problem at file:line of the field", () => {
    const [u] = envoyUnsupported(
      load(`
apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: {name: orders}
spec:
  hosts: [orders.default.svc.cluster.local]
  routes:
    - name: mirrored
      route: [{destination: {host: orders.default.svc.cluster.local, subset: v1}}]
      mirror: {host: orders.default.svc.cluster.local, subset: v1}
`),
    );
    const p = unsupportedProblem(u!);
    expect(`${p.file}:${p.line}: ${p.resource} ${p.path}: ${p.message}`).toBe(
      "test.yaml:46: MetaRouter/orders spec.routes.0.mirror: not supported on envoy: dubbo_proxy's RouteAction has no request mirror policy",
    );
  });
});
