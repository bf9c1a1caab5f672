/** Istio DestinationRule: subsets by labels. The traffic policy is kept as given for now. */
import type { FieldReader } from "./field-reader.ts";
import type { TypedResource } from "./resource.ts";

export const DESTINATION_RULE_API_VERSIONS = [
  "networking.istio.io/v1alpha3",
  "networking.istio.io/v1beta1",
  "networking.istio.io/v1",
] as const;

export interface Subset {
  name: string;
  labels: Record<string, string>;
}

export interface DestinationRuleSpec {
  host: string;
  subsets: Subset[];
  /** Not interpreted yet (load balancer, connection pool, outlier detection come later). */
  trafficPolicy?: unknown;
}

export type DestinationRule = TypedResource<"DestinationRule", DestinationRuleSpec>;

export function parseDestinationRuleSpec(spec: Record<string, unknown>, r: FieldReader): DestinationRuleSpec {
  const host = r.string(spec.host, ["spec", "host"], true) ?? "";
  const subsets: Subset[] = [];
  const seen = new Set<string>();
  (r.array(spec.subsets, ["spec", "subsets"], false) ?? []).forEach((raw, i) => {
    const path = ["spec", "subsets", i];
    const s = r.object(raw, path, true);
    if (!s) return;
    const name = r.string(s.name, [...path, "name"], true);
    const labels = r.stringMap(s.labels, [...path, "labels"]);
    if (name === undefined) return;
    if (seen.has(name)) r.problem([...path, "name"], `duplicate subset "${name}"`);
    seen.add(name);
    subsets.push({ name, labels });
  });
  return { host, subsets, ...(spec.trafficPolicy !== undefined && { trafficPolicy: spec.trafficPolicy }) };
}
