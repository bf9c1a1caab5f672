/**
 * One proxy's subscription to one resource type, shared by the state-of-the-world and the
 * incremental (delta) streams: what it asked for (wildcard or names) and what it holds.
 *
 * What a proxy holds is not copied per proxy: after every push it holds exactly what it wants
 * from that snapshot, so the subscription keeps a reference to the snapshot (and the name set
 * it was computed for). Only a delta client's initial_resource_versions are kept as an explicit
 * map, until its first push. With thousands of proxies and resources this is what keeps memory
 * flat. `diff` finds what to send: when the proxy is in sync with the snapshot's predecessor
 * (the usual case), only the snapshot's change set is looked at, so a one-route change costs the
 * same for a proxy holding ten resources or ten thousand.
 */
import type { Snapshot, SnapshotEntry, TypeUrl } from "./snapshot-cache.ts";

/** Whether a proxy in `namespace` may see `entry` (ServiceEntry exportTo; API listeners only on request). */
export function visible(entry: SnapshotEntry, snapshot: Snapshot, namespace: string | undefined, wildcardOnly: boolean): boolean {
  if (wildcardOnly && entry.grpcOnly) return false;
  const allowed = entry.host === undefined ? undefined : snapshot.visibility?.[entry.host];
  return allowed === undefined || (namespace !== undefined && allowed.includes(namespace));
}

export interface Diff {
  /** Entries the proxy lacks or holds in another version. */
  upserts: SnapshotEntry[];
  /** Names the proxy holds that are gone (or no longer visible or subscribed). */
  removals: string[];
}

interface Held {
  snapshot: Snapshot;
  wildcard: boolean;
  names: ReadonlySet<string>;
}

const EMPTY: ReadonlySet<string> = new Set();
const interned = new Map<string, ReadonlySet<string>>();

/**
 * One shared Set per distinct list of names: thousands of sidecars subscribing to the same
 * endpoints share one copy. Lists are compared as given (sorted by the caller when order does
 * not matter).
 */
export function internNames(names: readonly string[]): ReadonlySet<string> {
  if (names.length === 0) return EMPTY;
  const key = names.join("\n");
  let set = interned.get(key);
  if (!set) {
    if (interned.size > 10_000) interned.clear();
    set = new Set(names);
    interned.set(key, set);
  }
  return set;
}

const namesIds = new WeakMap<ReadonlySet<string>, number>();
let nextNamesId = 0;

/** A small id per interned name set, for keys of shared response bodies. */
export function namesId(names: ReadonlySet<string>): number {
  let id = namesIds.get(names);
  if (id === undefined) namesIds.set(names, (id = ++nextNamesId));
  return id;
}

export class Subscription {
  wildcard: boolean;
  names: ReadonlySet<string> = EMPTY;
  private held: Held | undefined;
  /** Explicit name → version the proxy holds (delta initial_resource_versions), until the first push. */
  private explicit: Map<string, string> | undefined;
  lastNonce: string | undefined;
  /** version_info / system_version_info of the last response sent. */
  wireVersion: string | undefined;
  /** The newest snapshot version the last response stands for (unchanged snapshots carry it forward). */
  ackAs: string | undefined;
  pendingAck = false;
  nacked = false;
  /** The raw resource_names bytes of the last state-of-the-world request (to skip decoding repeats). */
  namesRaw: Buffer | undefined;

  constructor(
    readonly typeUrl: TypeUrl,
    wildcard: boolean,
    /** The proxy's namespace (node metadata NAMESPACE), for visibility. */
    private readonly namespace: string | undefined,
  ) {
    this.wildcard = wildcard;
  }

  wants(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  /** The proxy reports what it already holds (delta reconnect). */
  setKnown(versions: Record<string, string>): void {
    this.explicit = new Map(Object.entries(versions));
    this.held = undefined;
  }

  /** Forgets everything the proxy holds, so the next push sends all it wants again. */
  forgetAll(): void {
    this.held = undefined;
    this.explicit = undefined;
    this.wireVersion = undefined;
  }

  /** Forgets a resource the proxy dropped (delta unsubscribe). */
  forget(name: string): void {
    if (!this.explicit && this.held) this.explicit = this.materialize();
    this.explicit?.delete(name);
  }

  private heldVersion(name: string): string | undefined {
    if (this.explicit) return this.explicit.get(name);
    const h = this.held;
    if (!h || !(h.wildcard || h.names.has(name))) return undefined;
    const entry = h.snapshot.entries.get(this.typeUrl)!.get(name);
    return entry && visible(entry, h.snapshot, this.namespace, h.wildcard && !h.names.has(name)) ? entry.version : undefined;
  }

  private materialize(): Map<string, string> {
    const out = new Map<string, string>();
    const h = this.held;
    if (!h) return out;
    for (const [name, entry] of h.snapshot.entries.get(this.typeUrl)!) {
      if ((h.wildcard || h.names.has(name)) && visible(entry, h.snapshot, this.namespace, h.wildcard && !h.names.has(name))) out.set(name, entry.version);
    }
    return out;
  }

  /** True when the proxy holds exactly what it wants of the snapshot before `snapshot`. */
  inSyncBefore(snapshot: Snapshot): boolean {
    const h = this.held;
    return !this.explicit && h !== undefined && h.snapshot.version === snapshot.previous && h.names === this.names && h.wildcard === this.wildcard;
  }

  diff(snapshot: Snapshot): Diff {
    const entries = snapshot.entries.get(this.typeUrl)!;
    const upserts: SnapshotEntry[] = [];
    const removals: string[] = [];
    const consider = (name: string) => {
      const entry = entries.get(name);
      const wanted = entry !== undefined && this.wants(name) && visible(entry, snapshot, this.namespace, this.wildcard && !this.names.has(name));
      const had = this.heldVersion(name);
      if (wanted) {
        if (had !== entry.version) upserts.push(entry);
      } else if (had !== undefined) removals.push(name);
    };
    if (this.inSyncBefore(snapshot)) {
      for (const name of snapshot.changed.get(this.typeUrl)!) consider(name);
      for (const name of snapshot.removed.get(this.typeUrl)!) consider(name);
    } else {
      const seen = new Set<string>();
      for (const name of entries.keys()) {
        seen.add(name);
        consider(name);
      }
      const previous = this.explicit ? this.explicit.keys() : this.held ? this.held.snapshot.entries.get(this.typeUrl)!.keys() : [];
      for (const name of previous) if (!seen.has(name)) consider(name);
    }
    return { upserts, removals };
  }

  /** Everything this subscription should hold in `snapshot`, in snapshot order. */
  desired(snapshot: Snapshot): SnapshotEntry[] {
    const out: SnapshotEntry[] = [];
    for (const entry of snapshot.entries.get(this.typeUrl)!.values()) {
      if (this.wants(entry.name) && visible(entry, snapshot, this.namespace, this.wildcard && !this.names.has(entry.name))) out.push(entry);
    }
    return out;
  }

  /** Records that the proxy now holds what it wants of `snapshot`. */
  synced(snapshot: Snapshot): void {
    this.held = { snapshot, wildcard: this.wildcard, names: this.names };
    this.explicit = undefined;
  }

  /** Whether the proxy holds nothing of this type yet (a first subscription: its full body can be shared). */
  holdsNothing(): boolean {
    return !this.held && (!this.explicit || this.explicit.size === 0);
  }
}
