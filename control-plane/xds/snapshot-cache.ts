/**
 * The current configuration, encoded once per change and shared by every proxy. Each change
 * gets the next version ("1", "2", ...); a proxy asking for named resources (EDS, RDS) gets
 * the subset of the same snapshot.
 */
import type { EnvoyResources } from "../translate/envoy-types.ts";
import { TYPE_URL } from "../translate/envoy-types.ts";
import { encodeAny, type AnyMessage } from "../../common/envoy-protos.ts";

/** The order resources are pushed in: clusters before endpoints, listeners before routes. */
export const TYPE_ORDER = [TYPE_URL.cluster, TYPE_URL.endpoint, TYPE_URL.listener, TYPE_URL.route] as const;
export type TypeUrl = (typeof TYPE_ORDER)[number];

export interface Snapshot {
  version: string;
  /** Type URL → resource name → encoded resource, in translation order. */
  resources: ReadonlyMap<TypeUrl, ReadonlyMap<string, AnyMessage>>;
}

export type SnapshotListener = (snapshot: Snapshot) => void;

export class SnapshotCache {
  private counter = 0;
  private snapshot: Snapshot = { version: "0", resources: new Map(TYPE_ORDER.map((t) => [t, new Map()])) };
  private readonly listeners = new Set<SnapshotListener>();

  current(): Snapshot {
    return this.snapshot;
  }

  /** Encodes `resources` as the next version and tells every listener. */
  set(resources: EnvoyResources): Snapshot {
    const byType = new Map<TypeUrl, Map<string, AnyMessage>>();
    const add = <T extends object>(typeUrl: TypeUrl, items: readonly T[], name: (t: T) => string) => {
      byType.set(typeUrl, new Map(items.map((item) => [name(item), encodeAny(typeUrl, item)])));
    };
    add(TYPE_URL.cluster, resources.clusters, (c) => c.name);
    add(TYPE_URL.endpoint, resources.endpoints, (e) => e.cluster_name);
    add(TYPE_URL.listener, resources.listeners, (l) => l.name);
    add(TYPE_URL.route, resources.routes, (r) => r.name);
    this.counter += 1;
    this.snapshot = { version: String(this.counter), resources: byType };
    for (const l of this.listeners) l(this.snapshot);
    return this.snapshot;
  }

  onSnapshot(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
