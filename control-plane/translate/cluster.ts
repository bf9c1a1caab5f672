/** ServiceEntry ports (+ DestinationRule subsets) → EDS clusters. */
import type { Resource } from "../resources/kinds.ts";
import type { EnvoyCluster } from "./envoy-types.ts";
import { metaProtocolServices, outboundClusterName } from "./meta-protocol-services.ts";

export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;

/** The subsets the DestinationRules for `host` define, in declaration order. */
export function subsetsFor(resources: readonly Resource[], host: string): Array<{ name: string; labels: Record<string, string> }> {
  const out: Array<{ name: string; labels: Record<string, string> }> = [];
  for (const r of resources) if (r.kind === "DestinationRule" && r.spec.host === host) out.push(...r.spec.subsets);
  return out;
}

function edsCluster(name: string): EnvoyCluster {
  return {
    name,
    type: "EDS",
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: "V3" }, service_name: name },
    connect_timeout: { seconds: DEFAULT_CONNECT_TIMEOUT_SECONDS },
    lb_policy: "ROUND_ROBIN",
  };
}

export function translateClusters(resources: readonly Resource[]): EnvoyCluster[] {
  const out: EnvoyCluster[] = [];
  for (const svc of metaProtocolServices(resources)) {
    out.push(edsCluster(outboundClusterName(svc.port.number, "", svc.host)));
    for (const subset of subsetsFor(resources, svc.host)) out.push(edsCluster(outboundClusterName(svc.port.number, subset.name, svc.host)));
  }
  return out;
}
