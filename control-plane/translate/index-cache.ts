/**
 * Lookups the translators need per host, built once per translation (per resources array)
 * instead of scanning every resource for every service.
 */
import type { DestinationRule, Subset } from "../resources/destination-rule.ts";
import type { Resource } from "../resources/kinds.ts";
import type { MetaRouter } from "../resources/meta-router.ts";

export interface ResourceIndex {
  /** First DestinationRule per host. */
  destinationRules: Map<string, DestinationRule>;
  /** Subsets of every DestinationRule per host, in declaration order. */
  subsets: Map<string, Subset[]>;
  /** First MetaRouter per host. */
  routers: Map<string, MetaRouter>;
  /** ApplicationProtocol codec per protocol (first wins). */
  codecs: Map<string, string>;
}

const cache = new WeakMap<readonly Resource[], ResourceIndex>();

export function indexOf(resources: readonly Resource[]): ResourceIndex {
  let index = cache.get(resources);
  if (index) return index;
  index = { destinationRules: new Map(), subsets: new Map(), routers: new Map(), codecs: new Map() };
  for (const r of resources) {
    if (r.kind === "DestinationRule") {
      if (!index.destinationRules.has(r.spec.host)) index.destinationRules.set(r.spec.host, r);
      index.subsets.set(r.spec.host, [...(index.subsets.get(r.spec.host) ?? []), ...r.spec.subsets]);
    } else if (r.kind === "MetaRouter") {
      const host = r.spec.hosts[0];
      if (host && !index.routers.has(host)) index.routers.set(host, r);
    } else if (r.kind === "ApplicationProtocol") {
      if (!index.codecs.has(r.spec.protocol)) index.codecs.set(r.spec.protocol, r.spec.codec);
    }
  }
  cache.set(resources, index);
  return index;
}
