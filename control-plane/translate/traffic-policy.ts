/**
 * The DestinationRule traffic policy in force for one cluster (host, port, subset). As in Istio,
 * each group (loadBalancer, connectionPool, outlierDetection) is taken from the most specific
 * place that sets it: subset port-level, subset, top-level port-level, top-level.
 */
import type { DestinationRule, Subset, TrafficPolicySpec } from "../resources/destination-rule.ts";
import type { Resource } from "../resources/kinds.ts";
import { indexOf } from "./index-cache.ts";

type Groups = Omit<TrafficPolicySpec, "portLevelSettings">;

function layer(tp: TrafficPolicySpec | undefined, port: number): Groups[] {
  if (!tp) return [];
  const portLevel = tp.portLevelSettings?.find((p) => p.port === port);
  return portLevel ? [portLevel, tp] : [tp];
}

export function destinationRuleFor(resources: readonly Resource[], host: string): DestinationRule | undefined {
  return indexOf(resources).destinationRules.get(host);
}

export function effectivePolicy(dr: DestinationRule | undefined, port: number, subset: Subset | undefined): Groups {
  const layers = [...layer(subset?.trafficPolicy, port), ...layer(dr?.spec.trafficPolicy, port)];
  const pick = <K extends keyof Groups>(k: K): Groups[K] | undefined => layers.find((l) => l[k] !== undefined)?.[k];
  const out: Groups = {};
  const loadBalancer = pick("loadBalancer");
  const connectionPool = pick("connectionPool");
  const outlierDetection = pick("outlierDetection");
  if (loadBalancer) out.loadBalancer = loadBalancer;
  if (connectionPool) out.connectionPool = connectionPool;
  if (outlierDetection) out.outlierDetection = outlierDetection;
  return out;
}

/** The metadata key a cluster hashes on, when its policy is a consistent hash. */
export function hashKeyFor(resources: readonly Resource[], host: string, port: number, subsetName: string): string | undefined {
  const dr = destinationRuleFor(resources, host);
  if (!dr) return undefined;
  const subset = subsetName ? dr.spec.subsets.find((s) => s.name === subsetName) : undefined;
  return effectivePolicy(dr, port, subset).loadBalancer?.consistentHash?.httpHeaderName;
}
