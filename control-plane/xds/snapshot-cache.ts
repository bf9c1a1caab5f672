/**
 * The current configuration, encoded once per change and shared by every proxy. Each change
 * gets the next version ("1", "2", ...). Every resource also has its own version, a digest of
 * its bytes, and a resource whose translation did not change keeps its encoded Any (no
 * re-encoding) and its version (no re-sending). Each
 * snapshot records what changed since the previous one; streams use that to push only what a
 * proxy does not have yet.
 */
import { createHash } from "node:crypto";
import { plainEqual } from "../../common/plain-equal.ts";
import { encodeAny, ENVOY_NATIVE_TYPE_URL, TYPE_URL, type AnyMessage } from "../../common/envoy-protos.ts";
import type { EnvoyResources } from "../translate/envoy-types.ts";

/**
 * The order resources are pushed in: clusters before endpoints, listeners before routes. The
 * Thrift and Dubbo route types are only served to Envoy sidecars (their native filters' RDS).
 */
export const TYPE_ORDER = [TYPE_URL.cluster, TYPE_URL.endpoint, TYPE_URL.listener, TYPE_URL.route, ENVOY_NATIVE_TYPE_URL.thriftRoute, ENVOY_NATIVE_TYPE_URL.dubboRoute] as const;
export type TypeUrl = (typeof TYPE_ORDER)[number];

export interface SnapshotEntry {
  name: string;
  any: AnyMessage;
  /**
   * A digest of the encoded bytes: equal bytes, equal version, across snapshots and restarts of
   * the control plane (so a delta client's initial_resource_versions stay meaningful).
   */
  version: string;
  /** The service host the resource belongs to (for per-proxy visibility). */
  host: string | undefined;
  /** Only gRPC clients want it (an API listener); wildcard subscribers do not get it. */
  grpcOnly: boolean;
}

export interface Snapshot {
  version: string;
  /** The version this snapshot was compared with for `changed` / `removed`. */
  previous: string;
  /** Type URL → resource name → entry, in translation order. */
  entries: ReadonlyMap<TypeUrl, ReadonlyMap<string, SnapshotEntry>>;
  /** Type URL → resource name → encoded resource (the same Anys as `entries`). */
  resources: ReadonlyMap<TypeUrl, ReadonlyMap<string, AnyMessage>>;
  /** Names added or modified since `previous`. */
  changed: ReadonlyMap<TypeUrl, ReadonlySet<string>>;
  /** Names gone since `previous`. */
  removed: ReadonlyMap<TypeUrl, ReadonlySet<string>>;
  /** Host → namespaces that see it; hosts not listed are visible everywhere. */
  visibility: Readonly<Record<string, readonly string[]>> | undefined;
}

export type SnapshotListener = (snapshot: Snapshot) => void;

/** `outbound|port|subset|host` → host; `host_port` / `host:port` → host. */
export function hostOfResource(typeUrl: TypeUrl, name: string): string | undefined {
  if (typeUrl === TYPE_URL.cluster || typeUrl === TYPE_URL.endpoint) return name.split("|")[3];
  const m = /^(.*)[_:]\d+$/.exec(name);
  return m ? m[1] : undefined;
}

interface Cached {
  /** The translated resource this entry was encoded from (compared with the next translation's). */
  item: object;
  entry: SnapshotEntry;
}

function emptyMaps<V>(): Map<TypeUrl, V> {
  return new Map();
}

export class SnapshotCache {
  private counter = 0;
  private snapshot: Snapshot = {
    version: "0",
    previous: "0",
    entries: new Map(TYPE_ORDER.map((t) => [t, new Map()])),
    resources: new Map(TYPE_ORDER.map((t) => [t, new Map()])),
    changed: new Map(TYPE_ORDER.map((t) => [t, new Set()])),
    removed: new Map(TYPE_ORDER.map((t) => [t, new Set()])),
    visibility: undefined,
  };
  private readonly encoded = new Map<TypeUrl, Map<string, Cached>>(TYPE_ORDER.map((t) => [t, new Map()]));
  private readonly listeners = new Set<SnapshotListener>();

  current(): Snapshot {
    return this.snapshot;
  }

  /** The version the next `set` will get unless told otherwise. */
  nextVersion(): string {
    return String(this.counter + 1);
  }

  /**
   * Encodes what changed in `resources` as the next version (or as `version`, which keeps
   * several caches serving one configuration in step) and tells every listener.
   */
  set(resources: EnvoyResources, version = this.nextVersion()): Snapshot {
    const previous = this.snapshot;
    const visibilityChanged = JSON.stringify(previous.visibility) !== JSON.stringify(resources.visibility);
    const entries = emptyMaps<Map<string, SnapshotEntry>>();
    const anys = emptyMaps<Map<string, AnyMessage>>();
    const changed = emptyMaps<Set<string>>();
    const removed = emptyMaps<Set<string>>();
    const add = <T extends object>(typeUrl: TypeUrl, items: readonly T[], nameOf: (t: T) => string, grpcOnly: (t: T) => boolean) => {
      const old = this.encoded.get(typeUrl)!;
      const next = new Map<string, Cached>();
      const byName = new Map<string, SnapshotEntry>();
      const changedNames = new Set<string>();
      for (const item of items) {
        const name = nameOf(item);
        let cached = old.get(name);
        if (!cached || !plainEqual(cached.item, item)) {
          const any = encodeAny(typeUrl, item);
          const digest = createHash("sha1").update(any.value).digest("base64url").slice(0, 16);
          cached = { item, entry: { name, any, version: digest, host: hostOfResource(typeUrl, name), grpcOnly: grpcOnly(item) } };
          changedNames.add(name);
        } else if (visibilityChanged) changedNames.add(name);
        next.set(name, cached);
        byName.set(name, cached.entry);
      }
      const gone = new Set<string>();
      for (const name of old.keys()) if (!next.has(name)) gone.add(name);
      this.encoded.set(typeUrl, next);
      entries.set(typeUrl, byName);
      anys.set(typeUrl, new Map([...byName].map(([n, e]) => [n, e.any])));
      changed.set(typeUrl, changedNames);
      removed.set(typeUrl, gone);
    };
    add(
      TYPE_URL.cluster,
      resources.clusters,
      (c) => c.name,
      () => false,
    );
    add(
      TYPE_URL.endpoint,
      resources.endpoints,
      (e) => e.cluster_name,
      () => false,
    );
    add(
      TYPE_URL.listener,
      resources.listeners,
      (l) => l.name,
      (l) => l.api_listener !== undefined,
    );
    add(
      TYPE_URL.route,
      resources.routes,
      (r) => r.name,
      () => false,
    );
    add(
      ENVOY_NATIVE_TYPE_URL.thriftRoute,
      resources.thriftRoutes ?? [],
      (r) => r.name,
      () => false,
    );
    add(
      ENVOY_NATIVE_TYPE_URL.dubboRoute,
      resources.dubboRoutes ?? [],
      (r) => r.name,
      () => false,
    );
    this.counter = Math.max(this.counter + 1, Number(version) || 0);
    this.snapshot = { version, previous: previous.version, entries, resources: anys, changed, removed, visibility: resources.visibility };
    for (const l of this.listeners) l(this.snapshot);
    return this.snapshot;
  }

  onSnapshot(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
