/**
 * The topology a scenario asks for, and the Istio resources that describe it to the control
 * plane: a ServiceEntry per service (endpoints = the fixture instances actually started) and,
 * unless the scenario brings its own, a DestinationRule with one subset per version.
 */
import type { RateLimitServiceConfig } from "../../fixtures/ratelimit/ratelimit-service.ts";
import { findSimulatorProtocol, simulatorProtocol } from "../protocols/registry.ts";
import { metaProtocolPortName } from "../protocols/simulator-protocol.ts";
import { instanceName, listenerName, serviceHost } from "./names.ts";
import { generatedServiceEntry } from "./service-entry.ts";

export { generatedServiceEntry } from "./service-entry.ts";
export { instanceName, listenerName, serviceHost } from "./names.ts";

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

/** Aeraki picks the protocol from the port name; meshsim uses the same convention. */
export function servicePortName(s: ServiceSpec): string {
  return simulatorProtocol(s.protocol).portName?.(s) ?? metaProtocolPortName(s.protocol, s);
}

/** Every outbound listener a service gets: one, unless its protocol's deployment names more. */
export function listenerNames(s: ServiceSpec): string[] {
  return simulatorProtocol(s.protocol).deployment?.listeners?.(s) ?? [listenerName(s)];
}

/** The service's instances, as its protocol's deployment names them: by default one per replica of each version. */
export function serviceInstances(s: ServiceSpec): Array<{ version: string; instance: string }> {
  // Scenario validation asks before it has reported an unknown protocol.
  const named = findSimulatorProtocol(s.protocol)?.deployment?.instances?.(s);
  if (named) return named;
  return Object.entries(s.versions).flatMap(([version, { replicas }]) => Array.from({ length: replicas }, (_, i) => ({ version, instance: instanceName(s.name, version, i) })));
}

export function serviceEntryFor(s: ServiceSpec, instances: ReadonlyArray<InstanceAddress>): Record<string, unknown> {
  const own = simulatorProtocol(s.protocol).deployment?.serviceEntry;
  if (own) return own(s, instances);
  const portName = servicePortName(s);
  return generatedServiceEntry(
    s,
    [{ number: s.port, name: portName }],
    instances.filter((i) => i.service === s.name).map((i) => ({ address: i.host, ports: { [portName]: i.port }, labels: { app: s.name, version: i.version, instance: i.instance } })),
  );
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
