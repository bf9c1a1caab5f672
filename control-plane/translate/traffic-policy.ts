/**
 * The DestinationRule traffic policy in force for one cluster (host, port, subset). As in Istio,
 * each group (loadBalancer, connectionPool, outlierDetection) is taken from the most specific
 * place that sets it: subset port-level, subset, top-level port-level, top-level.
 */
import type { DestinationRule, Subset, TrafficPolicySpec } from "../resources/destination-rule.ts";
import type { Resource } from "../resources/kinds.ts";
import { indexOf } from "./index-cache.ts";
import type { FieldPath } from "../../common/yaml-source.ts";

type Groups = Omit<TrafficPolicySpec, "portLevelSettings">;

/** One place a DestinationRule sets policy groups, with its field path in the rule. */
interface Layer {
  groups: Groups;
  path: FieldPath;
}

function layers(tp: TrafficPolicySpec | undefined, port: number, path: FieldPath): Layer[] {
  if (!tp) return [];
  const i = tp.portLevelSettings?.findIndex((p) => p.port === port) ?? -1;
  const own = { groups: tp, path };
  return i >= 0 ? [{ groups: tp.portLevelSettings![i]!, path: [...path, "portLevelSettings", i] }, own] : [own];
}

export function destinationRuleFor(resources: readonly Resource[], host: string): DestinationRule | undefined {
  return indexOf(resources).destinationRules.get(host);
}

export type PolicyGroup = keyof Groups;
const GROUPS: readonly PolicyGroup[] = ["loadBalancer", "connectionPool", "outlierDetection"];

/** Where each group in force comes from: the field path of the most specific layer that sets it. */
export function effectivePolicySources(dr: DestinationRule | undefined, port: number, subset: Subset | undefined): Partial<Record<PolicyGroup, FieldPath>> {
  const i = subset ? (dr?.spec.subsets.indexOf(subset) ?? -1) : -1;
  const all = [...layers(subset?.trafficPolicy, port, ["spec", "subsets", i, "trafficPolicy"]), ...layers(dr?.spec.trafficPolicy, port, ["spec", "trafficPolicy"])];
  const out: Partial<Record<PolicyGroup, FieldPath>> = {};
  for (const g of GROUPS) {
    const layer = all.find((l) => l.groups[g] !== undefined);
    if (layer) out[g] = [...layer.path, g];
  }
  return out;
}

export function effectivePolicy(dr: DestinationRule | undefined, port: number, subset: Subset | undefined): Groups {
  const all = [...layers(subset?.trafficPolicy, port, []), ...layers(dr?.spec.trafficPolicy, port, [])];
  const out: Groups = {};
  for (const g of GROUPS) {
    const value = all.find((l) => l.groups[g] !== undefined)?.groups[g];
    if (value) (out as Record<PolicyGroup, unknown>)[g] = value;
  }
  return out;
}

/** The metadata key a cluster hashes on, when its policy is a consistent hash. */
export function hashKeyFor(resources: readonly Resource[], host: string, port: number, subsetName: string): string | undefined {
  const dr = destinationRuleFor(resources, host);
  if (!dr) return undefined;
  const subset = subsetName ? dr.spec.subsets.find((s) => s.name === subsetName) : undefined;
  return effectivePolicy(dr, port, subset).loadBalancer?.consistentHash?.httpHeaderName;
}
