/**
 * Clusters whose endpoints are host names → STRICT_DNS clusters that carry their endpoints, as
 * Istio makes them for a DNS ServiceEntry: Envoy's EDS takes IP addresses only ("malformed IP
 * address"). meshsim's proxy resolves names itself and keeps EDS. Endpoints are names where every
 * part has an alias on a container network instead of an address fixed in advance.
 */
import { isIP } from "node:net";
import type { EnvoyCluster, EnvoyClusterLoadAssignment } from "../envoy-types.ts";

export function withDnsClusters(clusters: EnvoyCluster[], endpoints: EnvoyClusterLoadAssignment[]): { clusters: EnvoyCluster[]; endpoints: EnvoyClusterLoadAssignment[] } {
  const named = new Map(endpoints.filter((e) => e.endpoints.some((l) => l.lb_endpoints.some((ep) => isIP(ep.endpoint.address.socket_address.address) === 0))).map((e) => [e.cluster_name, e]));
  if (named.size === 0) return { clusters, endpoints };
  return {
    clusters: clusters.map((c) => {
      const assignment = named.get(c.eds_cluster_config?.service_name ?? c.name);
      if (!assignment) return c;
      const { eds_cluster_config: _eds, ...rest } = c;
      return { ...rest, type: "STRICT_DNS", load_assignment: { ...assignment, cluster_name: c.name } };
    }),
    endpoints: endpoints.filter((e) => !named.has(e.cluster_name)),
  };
}
