import type { EnvoyRouteAction } from "../envoy-types.ts";

/**
 * A route's destination for Envoy's Thrift and Dubbo routes: `cluster`, or `weighted_clusters`
 * without the zero-weight entries (a MetaRouter step of a gradual shift writes weight 0; Envoy
 * requires every listed cluster to weigh at least 1). One cluster left is a plain `cluster`.
 */
export function clusterSpecifier(action: EnvoyRouteAction): { cluster: string } | { weighted_clusters: NonNullable<EnvoyRouteAction["weighted_clusters"]> } | Record<string, never> {
  if (action.cluster !== undefined) return { cluster: action.cluster };
  if (!action.weighted_clusters) return {};
  const weighted = action.weighted_clusters.clusters.filter((c) => c.weight.value > 0);
  // All zero: passed through as written, for Envoy to reject (the NACK names the route).
  if (weighted.length === 0) return { weighted_clusters: action.weighted_clusters };
  if (weighted.length === 1) return { cluster: weighted[0]!.name };
  return { weighted_clusters: { clusters: weighted } };
}
