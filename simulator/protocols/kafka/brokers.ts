/**
 * A Kafka service in the mesh: its brokers (KRaft, one cluster) are its instances, one port and
 * one sidecar listener each, named after the broker's node id.
 */
import { serviceHost } from "../../topology/names.ts";
import { generatedServiceEntry } from "../../topology/service-entry.ts";
import type { InstanceAddress, ServiceSpec } from "../../topology/topology.ts";

/**
 * A Kafka service's ports: one per broker (`tcp-kafka-broker-<n>` on port + n - 1), so that each
 * broker gets a sidecar listener of its own — a Kafka client must be able to reach one broker in
 * particular (the partition leader, the group coordinator), which one listener balancing over all
 * brokers could not offer.
 */
export function kafkaBrokerPorts(s: ServiceSpec): Array<{ nodeId: number; number: number; name: string; listener: string }> {
  const out = [];
  for (let n = 1; n <= (s.kafka?.brokers ?? 1); n++) {
    out.push({ nodeId: n, number: s.port + n - 1, name: `tcp-kafka-broker-${n}`, listener: `${serviceHost(s)}_${s.port + n - 1}` });
  }
  return out;
}

/** Instance name of a Kafka broker: `<service>-broker-<node id>`. */
export function kafkaBrokerInstance(service: string, nodeId: number): string {
  return `${service}-broker-${nodeId}`;
}

/** The version label of a Kafka service's brokers: its one version. */
export function kafkaVersion(s: ServiceSpec): string {
  return Object.keys(s.versions)[0] ?? "v1";
}

/**
 * A Kafka service: a port per broker and one endpoint (every broker listens on the same host)
 * that maps each broker's port name to the port that broker listens on. Each port's cluster
 * `outbound|<port>||<host>` then holds exactly one broker.
 */
export function kafkaServiceEntryFor(s: ServiceSpec, instances: ReadonlyArray<InstanceAddress>): Record<string, unknown> {
  const ports = kafkaBrokerPorts(s);
  const version = kafkaVersion(s);
  // A broker not (yet) running — validation builds the entry before anything starts — is a placeholder.
  const brokers = ports.map((p) => instances.find((x) => x.service === s.name && x.instance === kafkaBrokerInstance(s.name, p.nodeId)) ?? { host: "127.0.0.1", port: p.number, version });
  const host = brokers[0]!.host;
  if (brokers.some((b) => b.host !== host)) throw new Error(`kafka service ${s.name}: brokers on different hosts need one ServiceEntry each`);
  return generatedServiceEntry(s, ports, [
    {
      address: host,
      ports: Object.fromEntries(ports.map((p, k) => [p.name, brokers[k]!.port])),
      labels: { app: s.name, version: brokers[0]!.version },
    },
  ]);
}
