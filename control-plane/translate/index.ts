/** Resources → everything the control plane serves. Pure: same input, same output. */
import type { Resource } from "../resources/kinds.ts";
import { translateClusters } from "./cluster.ts";
import { translateEndpoints } from "./endpoint.ts";
import type { EnvoyResources } from "./envoy-types.ts";
import { translateListeners } from "./listener.ts";
import { translateRoutes } from "./route.ts";

export function translate(resources: readonly Resource[]): EnvoyResources {
  return {
    clusters: translateClusters(resources),
    endpoints: translateEndpoints(resources),
    listeners: translateListeners(resources),
    routes: translateRoutes(resources),
  };
}

export * from "./envoy-types.ts";
export { translateClusters, translateEndpoints, translateListeners, translateRoutes };
export { metaProtocolOfPort, outboundClusterName, routeConfigName } from "./meta-protocol-services.ts";
