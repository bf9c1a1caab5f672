/** tcp-kafka ServiceEntry ports (+ a MetaRouter) → Kafka listeners over xDS → the proxy's config, through protobuf. */
import { describe, expect, it } from "vitest";
import { decodeAny, encodeAny, TYPE_URL } from "../../common/envoy-protos.ts";
import { parseResources } from "../../control-plane/resources/index.ts";
import { translate } from "../../control-plane/translate/index.ts";
import { decodeListener, decodeRouteConfiguration } from "./decode.ts";

const YAML = `
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: kafka, namespace: default}
spec:
  hosts: [kafka.default.svc.cluster.local]
  resolution: STATIC
  ports:
    - {number: 9092, name: tcp-kafka-broker-1, protocol: TCP}
    - {number: 9093, name: tcp-kafka-broker-2, protocol: TCP}
  endpoints:
    - {address: 127.0.0.1, ports: {tcp-kafka-broker-1: 31001, tcp-kafka-broker-2: 31002}}
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: audit-kafka, namespace: default}
spec:
  hosts: [audit-kafka.default.svc.cluster.local]
  resolution: STATIC
  ports: [{number: 9192, name: tcp-kafka-broker-1, protocol: TCP}]
  endpoints: [{address: 127.0.0.1, ports: {tcp-kafka-broker-1: 32001}}]
---
apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: {name: kafka, namespace: default}
spec:
  hosts: [kafka.default.svc.cluster.local]
  routes:
    - name: audit
      match: {attributes: {topic: {prefix: audit.}}}
      route: [{destination: {host: audit-kafka.default.svc.cluster.local}}]
    - name: rest
      route: [{destination: {host: kafka.default.svc.cluster.local}}]
`;

// biome-ignore lint/suspicious/noExplicitAny: decoded protos are walked untyped in assertions
type Obj = Record<string, any>;

function roundTrip(typeUrl: string, resource: object): Obj {
  return decodeAny(typeUrl, encodeAny(typeUrl, resource).value) as Obj;
}

describe("kafka over xDS", () => {
  const { resources, problems } = parseResources(YAML, "kafka.yaml");
  const out = translate(resources);

  it("one Kafka listener, route configuration and single-broker cluster per tcp-kafka port", () => {
    expect(problems).toEqual([]);
    expect(out.listeners.map((l) => l.name).sort()).toEqual(["audit-kafka.default.svc.cluster.local_9192", "kafka.default.svc.cluster.local_9092", "kafka.default.svc.cluster.local_9093"]);
    const eps = (name: string) => out.endpoints.find((e) => e.cluster_name === name)!.endpoints.flatMap((l) => l.lb_endpoints.map((e) => e.endpoint.address.socket_address.port_value));
    expect(eps("outbound|9092||kafka.default.svc.cluster.local")).toEqual([31001]);
    expect(eps("outbound|9093||kafka.default.svc.cluster.local")).toEqual([31002]);
    const routes = decodeRouteConfiguration(roundTrip(TYPE_URL.route, out.routes.find((r) => r.name === "kafka.default.svc.cluster.local_9093")!));
    expect(routes.routes.map((r) => r.action)).toEqual([
      { kind: "cluster", cluster: "outbound|9192||audit-kafka.default.svc.cluster.local" },
      { kind: "cluster", cluster: "outbound|9093||kafka.default.svc.cluster.local" },
    ]);
  });

  it("listeners use the kafka codec and rewrite every broker (the routed-to cluster's too) to a listener, redirected where the bootstrap says", () => {
    const wire = roundTrip(TYPE_URL.listener, out.listeners.find((l) => l.name === "kafka.default.svc.cluster.local_9093")!);
    const plain = decodeListener(wire);
    expect(plain.codec).toBe("kafka");
    expect(plain.kafkaBrokerAddresses).toEqual({
      "127.0.0.1:31001": { host: "kafka.default.svc.cluster.local", port: 9092 },
      "127.0.0.1:31002": { host: "kafka.default.svc.cluster.local", port: 9093 },
      "127.0.0.1:32001": { host: "kafka.default.svc.cluster.local", port: 9092 },
    });
    const redirected = decodeListener(wire, { "kafka.default.svc.cluster.local_9092": { host: "127.0.0.1", port: 40001 } });
    expect(redirected.kafkaBrokerAddresses!["127.0.0.1:31001"]).toEqual({ host: "127.0.0.1", port: 40001 });
    expect(redirected.kafkaBrokerAddresses!["127.0.0.1:32001"]).toEqual({ host: "127.0.0.1", port: 40001 });
    expect(redirected.kafkaBrokerAddresses!["127.0.0.1:31002"]).toEqual({ host: "kafka.default.svc.cluster.local", port: 9093 });
    // Bound inside a container, reached through a port the engine publishes: clients are told the published one.
    const published = decodeListener(wire, { "kafka.default.svc.cluster.local_9092": { host: "0.0.0.0", port: 15001, advertise: { host: "127.0.0.1", port: 40002 } } });
    expect(published.kafkaBrokerAddresses!["127.0.0.1:31001"]).toEqual({ host: "127.0.0.1", port: 40002 });
  });
});
