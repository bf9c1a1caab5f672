/**
 * Kafka services (ServiceEntry ports named `tcp-kafka` or `tcp-kafka-*`, or with protocol KAFKA,
 * as Aeraki and Istio name them) → MetaProtocol listeners with the codec "kafka".
 *
 * A Kafka client must reach one broker in particular (a partition's leader, its group's
 * coordinator), so a Kafka service describes **one port per broker**, and its one endpoint maps
 * each port name to that broker's port:
 *
 *   ports: [{number: 9092, name: tcp-kafka-broker-1}, {number: 9093, name: tcp-kafka-broker-2}]
 *   endpoints: [{address: 10.0.0.7, ports: {tcp-kafka-broker-1: 31001, tcp-kafka-broker-2: 31002}}]
 *
 * Each port then becomes what any MetaProtocol port becomes — a listener `<host>_<port>` with
 * Aeraki's MetaProtocol proxy filter (RDS, the MetaRouter's rate limits), a route configuration of
 * the same name (MetaRouter routes, meshsim's route policies: faults, timeouts, retries) and the
 * cluster `outbound|<port>||<host>` holding that one broker — because `translate()` hands the
 * generic translators a view of the resources where these ports carry the MetaProtocol name
 * `tcp-metaprotocol-kafka-…` (`withKafkaPortsAsMetaProtocol`).
 *
 * What Kafka adds (`addKafkaBrokerRewrites`): every Kafka listener's TypedStruct carries meshsim's
 * `kafka.broker_address_rewrite`, one rule per broker address a client may be told about —
 * `{address: "<endpoint address>:<broker port>", host, port, listener}` — so that Metadata,
 * FindCoordinator and DescribeCluster responses name the listener for that broker instead of the
 * broker: `host:port` is the service host and the broker's port (what a mesh client dials and the
 * sidecar captures), `listener` the listener's name (a proxy that binds that listener elsewhere —
 * the simulator's `redirects` — advertises where it bound it instead). The brokers of another Kafka
 * host that this host's MetaRouter routes to are mapped onto this host's listeners by position
 * (the other's first broker → this host's first broker listener, ...), which is what topic-prefix
 * routing to a second Kafka cluster needs (docs/kafka.md).
 */
import type { Resource } from "../resources/kinds.ts";
import type { ServiceEntry, ServicePort } from "../resources/service-entry.ts";
import type { EnvoyListener } from "./envoy-types.ts";
import { indexOf } from "./index-cache.ts";
import { routeConfigName } from "./meta-protocol-services.ts";

const KAFKA_PORT_NAME = /^tcp-kafka(-.*)?$/i;

export function isKafkaPort(port: ServicePort): boolean {
  return KAFKA_PORT_NAME.test(port.name) || port.protocol?.toUpperCase() === "KAFKA";
}

/** The MetaProtocol name a Kafka port is translated under: `tcp-metaprotocol-kafka[-rest]`. */
function metaName(port: ServicePort): string {
  const rest = KAFKA_PORT_NAME.exec(port.name)?.[1] ?? `-${port.name}`;
  return `tcp-metaprotocol-kafka${rest}`;
}

/**
 * The resources with every Kafka port renamed to its MetaProtocol name (endpoint port maps too),
 * so the generic listener, route, cluster and endpoint translation covers Kafka ports. Returns the
 * same array when there is no Kafka port.
 */
export function withKafkaPortsAsMetaProtocol(resources: readonly Resource[]): readonly Resource[] {
  if (!resources.some((r) => r.kind === "ServiceEntry" && r.spec.ports.some(isKafkaPort))) return resources;
  return resources.map((r) => {
    if (r.kind !== "ServiceEntry" || !r.spec.ports.some(isKafkaPort)) return r;
    const renamed = new Map(r.spec.ports.filter(isKafkaPort).map((p) => [p.name, metaName(p)]));
    const entry: ServiceEntry = {
      ...r,
      spec: {
        ...r.spec,
        ports: r.spec.ports.map((p) => (isKafkaPort(p) ? { ...p, name: metaName(p), protocol: "TCP" } : p)),
        endpoints: r.spec.endpoints.map((e) => ({ ...e, ports: Object.fromEntries(Object.entries(e.ports).map(([k, v]) => [renamed.get(k) ?? k, v])) })),
      },
    };
    return entry;
  });
}

export interface KafkaBrokerRule {
  /** The broker's address as it advertises itself, "host:port". */
  address: string;
  /** Where clients are sent instead: the service host and the listener's port ... */
  host: string;
  port: number;
  /** ... unless the proxy binds this listener elsewhere. */
  listener: string;
}

interface KafkaHost {
  host: string;
  /** Kafka ports in port order, one per broker. */
  ports: ServicePort[];
  serviceEntry: ServiceEntry;
}

function kafkaHosts(resources: readonly Resource[]): Map<string, KafkaHost> {
  const out = new Map<string, KafkaHost>();
  for (const r of resources) {
    if (r.kind !== "ServiceEntry") continue;
    const ports = r.spec.ports.filter(isKafkaPort).sort((a, b) => a.number - b.number);
    if (ports.length === 0) continue;
    for (const host of r.spec.hosts) if (!out.has(host)) out.set(host, { host, ports, serviceEntry: r });
  }
  return out;
}

/** Every advertised broker address of `k`, in port order (one per endpoint and port). */
function brokerAddresses(k: KafkaHost): string[][] {
  return k.ports.map((p) => k.serviceEntry.spec.endpoints.map((e) => `${e.address}:${e.ports[p.name] ?? p.targetPort ?? p.number}`));
}

/** The rewrite rules of one Kafka host's listeners (the same for each of them). */
export function kafkaBrokerRules(resources: readonly Resource[], host: string): KafkaBrokerRule[] {
  const hosts = kafkaHosts(resources);
  const own = hosts.get(host);
  if (!own) return [];
  const advertised = own.serviceEntry.spec.addresses[0]?.replace(/\/\d+$/, "") ?? host;
  const rules: KafkaBrokerRule[] = [];
  const seen = new Set<string>();
  const add = (addresses: string[][]) =>
    addresses.forEach((list, k) => {
      const port = own.ports[k];
      if (!port) return;
      for (const address of list) {
        if (seen.has(address)) continue;
        seen.add(address);
        rules.push({ address, host: advertised, port: port.number, listener: routeConfigName(host, port.number) });
      }
    });
  add(brokerAddresses(own));
  // Kafka hosts this host's MetaRouter sends requests to: their brokers, onto this host's listeners.
  const router = indexOf(resources).routers.get(host);
  const targets = new Set<string>();
  for (const route of router?.spec.routes ?? []) for (const d of route.route ?? []) if (d.destination.host !== host) targets.add(d.destination.host);
  for (const t of [...targets].sort()) {
    const other = hosts.get(t);
    if (other) add(brokerAddresses(other));
  }
  return rules;
}

/** Adds `kafka.broker_address_rewrite` to the MetaProtocol config of every Kafka listener. */
export function addKafkaBrokerRewrites(listeners: EnvoyListener[], resources: readonly Resource[]): void {
  const hosts = kafkaHosts(resources);
  if (hosts.size === 0) return;
  const byListener = new Map<string, KafkaBrokerRule[]>();
  for (const k of hosts.values()) {
    const rules = kafkaBrokerRules(resources, k.host);
    for (const p of k.ports) byListener.set(routeConfigName(k.host, p.number), rules);
  }
  for (const l of listeners) {
    const rules = byListener.get(l.name);
    if (!rules) continue;
    for (const chain of l.filter_chains ?? []) {
      for (const f of chain.filters) {
        const value = (f.typed_config as { value?: Record<string, unknown> } | undefined)?.value;
        if (value?.application_protocol !== "kafka") continue;
        value.kafka = { broker_address_rewrite: rules.map((r) => ({ ...r })) };
      }
    }
  }
}
