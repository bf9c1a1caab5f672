/** Resources → everything the control plane serves. Pure: same input, same output. */
import type { Resource } from "../resources/kinds.ts";
import { withKubernetesServices } from "../resources/kubernetes-services.ts";
import { translateClusters } from "./cluster.ts";
import { translateEndpoints } from "./endpoint.ts";
import type { EnvoyResources } from "./envoy-types.ts";
import { translateListeners } from "./listener.ts";
import { translateRoutes } from "./route.ts";
import { translateRedis } from "./redis.ts";
import { addKafkaBrokerRewrites, withKafkaPortsAsMetaProtocol } from "./kafka.ts";

export function translate(written: readonly Resource[]): EnvoyResources {
  // Kubernetes Services are hosts too, as Aeraki sees them in a cluster.
  const resources = withKubernetesServices(written);
  // Kafka ports (`tcp-kafka-*`, one per broker) translate as MetaProtocol ports with the codec
  // "kafka", plus the broker address rewrite on their listeners (kafka.ts).
  const meta = withKafkaPortsAsMetaProtocol(resources);
  const out: EnvoyResources = {
    clusters: translateClusters(meta),
    endpoints: translateEndpoints(meta),
    listeners: translateListeners(meta),
    routes: translateRoutes(meta),
  };
  addKafkaBrokerRewrites(out.listeners, resources);
  // Redis services: listeners with Envoy's redis_proxy, their clusters and endpoints.
  const redis = translateRedis(resources);
  out.clusters.push(...redis.clusters);
  out.endpoints.push(...redis.endpoints);
  out.listeners.push(...redis.listeners);
  out.routes.push(...redis.routes);
  const visibility = hostVisibility(resources);
  if (visibility) out.visibility = visibility;
  return out;
}

/** ServiceEntry `exportTo`, resolved ("." = the entry's namespace); undefined when nothing is restricted. */
export function hostVisibility(resources: readonly Resource[]): Record<string, string[]> | undefined {
  const out: Record<string, string[]> = {};
  let restricted = false;
  for (const r of resources) {
    if (r.kind !== "ServiceEntry" || r.spec.exportTo.length === 0 || r.spec.exportTo.includes("*")) continue;
    restricted = true;
    const namespaces = [...new Set(r.spec.exportTo.map((n) => (n === "." ? r.metadata.namespace : n)))].sort();
    for (const h of r.spec.hosts) out[h] = [...new Set([...(out[h] ?? []), ...namespaces])].sort();
  }
  return restricted ? out : undefined;
}

export * from "./envoy-types.ts";
export { translateClusters, translateEndpoints, translateListeners, translateRoutes };
export { metaProtocolOfPort, outboundClusterName, routeConfigName, isGrpcPort } from "./meta-protocol-services.ts";
export { grpcListenerName } from "./listener.ts";
