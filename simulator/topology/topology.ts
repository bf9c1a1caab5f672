/**
 * The topology a scenario asks for, and the Istio resources that describe it to the control
 * plane: a ServiceEntry per service (endpoints = the fixture instances actually started) and,
 * unless the scenario brings its own, a DestinationRule with one subset per version.
 */
export interface ServiceSpec {
  name: string;
  namespace: string;
  protocol: string;
  port: number;
  versions: Record<string, { replicas: number }>;
  /** Protocol-specific wire options, e.g. Thrift transport and protocol. */
  transport?: string;
  wireProtocol?: string;
  /** Redis: the redis-server deployment (single, primary + replica, cluster). */
  redis?: { mode: "single" | "replicated" | "cluster"; password?: string };
}

export interface ClientSpec {
  name: string;
  protocol: string;
  sidecar: boolean;
}

export interface TopologySpec {
  services: ServiceSpec[];
  clients: ClientSpec[];
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
  // Redis has handling of its own (Envoy's redis_proxy), chosen by the `tcp-redis` port name.
  if (s.protocol === "redis") return "tcp-redis";
  return `tcp-metaprotocol-${s.protocol}-${s.name}`;
}

/** Envoy-style listener name of the outbound listener for a service, `<host>_<port>`. */
export function listenerName(s: ServiceSpec): string {
  return `${serviceHost(s)}_${s.port}`;
}

export function instanceName(service: string, version: string, index: number): string {
  return `${service}-${version}-${index}`;
}

export function serviceEntryFor(s: ServiceSpec, instances: ReadonlyArray<InstanceAddress>): Record<string, unknown> {
  const portName = servicePortName(s);
  return {
    apiVersion: "networking.istio.io/v1beta1",
    kind: "ServiceEntry",
    metadata: { name: s.name, namespace: s.namespace, labels: { "meshsim.dev/generated": "true" } },
    spec: {
      hosts: [serviceHost(s)],
      location: "MESH_INTERNAL",
      resolution: "STATIC",
      ports: [{ number: s.port, name: portName, protocol: "TCP" }],
      endpoints: instances
        .filter((i) => i.service === s.name)
        .map((i) => ({ address: i.host, ports: { [portName]: i.port }, labels: { app: s.name, version: i.version, instance: i.instance } })),
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
