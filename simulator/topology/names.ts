/** How meshsim names a topology's hosts, listeners and instances: the same on every backend. */
import type { ServiceSpec } from "./topology.ts";

export function serviceHost(s: { name: string; namespace: string }): string {
  return `${s.name}.${s.namespace}.svc.cluster.local`;
}

/** Envoy-style listener name of the outbound listener for a service, `<host>_<port>`. */
export function listenerName(s: ServiceSpec): string {
  return `${serviceHost(s)}_${s.port}`;
}

/** The n-th replica of a version: `<service>-<version>-<index>`. */
export function instanceName(service: string, version: string, index: number): string {
  return `${service}-${version}-${index}`;
}
