/**
 * The topology a scenario asks for, and the Istio resources that describe it to the control
 * plane: a ServiceEntry per service (endpoints = the fixture instances actually started) and,
 * unless the scenario brings its own, a DestinationRule with one subset per version.
 */
import { isIP } from "node:net";
import type { RateLimitServiceConfig } from "../../fixtures/ratelimit/ratelimit-service.ts";
import { simulatorProtocol } from "../protocols/registry.ts";
import { metaProtocolPortName } from "../protocols/simulator-protocol.ts";

export interface ServiceSpec {
  name: string;
  namespace: string;
  protocol: string;
  port: number;
  versions: Record<string, { replicas: number }>;
  /** Thrift: the transport and protocol, named as in scenarios, the driver and the fixture. */
  transport?: string;
  protocolVariant?: string;
  /** Redis: the redis-server deployment (single, primary + replica, cluster). */
  redis?: { mode: "single" | "replicated" | "cluster"; password?: string };
  /** Kafka: how many brokers (KRaft, one cluster) play the service; broker n is port + n - 1. */
  kafka?: { brokers: number };
  /** Dubbo: the provider that plays each instance (default meshsim's TypeScript one). */
  dubbo?: { provider: "meshsim" | "java" };
}

export interface ClientSpec {
  name: string;
  protocol: string;
  sidecar: boolean;
  /** Which proxy plays the client's sidecar (default meshsim). */
  dataPlane?: "meshsim" | "envoy";
}

export interface TopologySpec {
  services: ServiceSpec[];
  clients: ClientSpec[];
  /** Envoy's reference rate-limit service, reached as the cluster `outbound|<port>||<host>`. */
  rateLimitService?: RateLimitServicePart;
}

export interface RateLimitServicePart {
  name: string;
  namespace: string;
  port: number;
  config: RateLimitServiceConfig;
}

/** The gRPC port name makes the control plane give sidecars a gRPC cluster for it. */
const RATE_LIMIT_PORT_NAME = "grpc-ratelimit";

/** The rate-limit service's ServiceEntry: its `port` leads to the gRPC port it listens on. */
export function rateLimitServiceEntryFor(r: RateLimitServicePart, address: { host: string; port: number }): Record<string, unknown> {
  return generatedServiceEntry(
    { name: r.name, namespace: r.namespace },
    [{ number: r.port, name: RATE_LIMIT_PORT_NAME }],
    [{ address: address.host, ports: { [RATE_LIMIT_PORT_NAME]: address.port }, labels: { app: r.name } }],
  );
}

export interface InstanceAddress {
  service: string;
  version: string;
  instance: string;
  host: string;
  port: number;
}

export function serviceHost(s: { name: string; namespace: string }): string {
  return `${s.name}.${s.namespace}.svc.cluster.local`;
}

/** Aeraki picks the protocol from the port name; meshsim uses the same convention. */
export function servicePortName(s: ServiceSpec): string {
  return simulatorProtocol(s.protocol).portName?.(s) ?? metaProtocolPortName(s.protocol, s);
}

/** Envoy-style listener name of the outbound listener for a service, `<host>_<port>`. */
export function listenerName(s: ServiceSpec): string {
  return `${serviceHost(s)}_${s.port}`;
}

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

/** Every outbound listener a service gets: one, or one per Kafka broker. */
export function listenerNames(s: ServiceSpec): string[] {
  return s.protocol === "kafka" ? kafkaBrokerPorts(s).map((p) => p.listener) : [listenerName(s)];
}

export function instanceName(service: string, version: string, index: number): string {
  return `${service}-${version}-${index}`;
}

export function serviceEntryFor(s: ServiceSpec, instances: ReadonlyArray<InstanceAddress>): Record<string, unknown> {
  if (s.protocol === "kafka") return kafkaServiceEntryFor(s, instances);
  const portName = servicePortName(s);
  return generatedServiceEntry(
    s,
    [{ number: s.port, name: portName }],
    instances.filter((i) => i.service === s.name).map((i) => ({ address: i.host, ports: { [portName]: i.port }, labels: { app: s.name, version: i.version, instance: i.instance } })),
  );
}

/**
 * The ServiceEntry the simulator writes for a service: its endpoints, TCP ports, labelled as
 * generated. Endpoints named by host name (containers' aliases) make it a DNS entry, as Istio
 * wants; addresses, a STATIC one.
 */
function generatedServiceEntry(
  s: { name: string; namespace: string },
  ports: ReadonlyArray<{ number: number; name: string }>,
  endpoints: ReadonlyArray<{ address: string; [field: string]: unknown }>,
): Record<string, unknown> {
  return {
    apiVersion: "networking.istio.io/v1beta1",
    kind: "ServiceEntry",
    metadata: { name: s.name, namespace: s.namespace, labels: { "meshsim.dev/generated": "true" } },
    spec: {
      hosts: [serviceHost(s)],
      location: "MESH_INTERNAL",
      resolution: endpoints.every((e) => isIP(e.address) !== 0) ? "STATIC" : "DNS",
      ports: ports.map((p) => ({ number: p.number, name: p.name, protocol: "TCP" })),
      endpoints,
    },
  };
}

export function destinationRuleFor(s: ServiceSpec): Record<string, unknown> {
  return {
    apiVersion: "networking.istio.io/v1beta1",
    kind: "DestinationRule",
    metadata: { name: s.name, namespace: s.namespace, labels: { "meshsim.dev/generated": "true" } },
    spec: {
      host: serviceHost(s),
      subsets: Object.keys(s.versions).map((v) => ({ name: v, labels: { version: v } })),
    },
  };
}

/**
 * A Kafka service: a port per broker and one endpoint (every broker listens on the same host)
 * that maps each broker's port name to the port that broker listens on. Each port's cluster
 * `outbound|<port>||<host>` then holds exactly one broker.
 */
function kafkaServiceEntryFor(s: ServiceSpec, instances: ReadonlyArray<InstanceAddress>): Record<string, unknown> {
  const ports = kafkaBrokerPorts(s);
  const version = Object.keys(s.versions)[0] ?? "v1";
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
