/**
 * One proxy's subscription to one resource type, shared by the state-of-the-world and the
 * incremental (delta) streams: what it asked for (wildcard or names), what it holds (name →
 * resource version), and the nonce/version bookkeeping for ACK and NACK.
 *
 * `diff` finds what to send for a snapshot. When the subscription is in sync with the
 * snapshot's predecessor (the usual case), only the snapshot's change set is looked at, so a
 * one-route change costs the same for a proxy holding ten resources or ten thousand.
 */
import type { Snapshot, SnapshotEntry, TypeUrl } from "./snapshot-cache.ts";

/** Whether a proxy in `namespace` may see `entry` (ServiceEntry exportTo; API listeners only on request). */
export function visible(entry: SnapshotEntry, snapshot: Snapshot, namespace: string | undefined, wildcard: boolean): boolean {
  if (wildcard && entry.grpcOnly) return false;
  const allowed = entry.host === undefined ? undefined : snapshot.visibility?.[entry.host];
  return allowed === undefined || (namespace !== undefined && allowed.includes(namespace));
}

export interface Diff {
  /** Entries the proxy lacks or holds in an older version. */
  upserts: SnapshotEntry[];
  /** Names the proxy holds that are gone (or no longer visible or subscribed). */
  removals: string[];
}

export class Subscription {
  wildcard: boolean;
  names = new Set<string>();
  /** Resource name → version the proxy holds (or was last sent). */
  readonly known = new Map<string, string>();
  /** Snapshot version `known` is up to date with. */
  syncedTo: string | undefined;
  lastNonce: string | undefined;
  /** version_info / system_version_info of the last response sent. */
  wireVersion: string | undefined;
  /** The newest snapshot version the last response stands for (unchanged snapshots carry it forward). */
  ackAs: string | undefined;
  pendingAck = false;
  nacked = false;

  constructor(readonly typeUrl: TypeUrl, wildcard: boolean) {
    this.wildcard = wildcard;
  }

  wants(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  diff(snapshot: Snapshot, namespace: string | undefined): Diff {
    const entries = snapshot.entries.get(this.typeUrl)!;
    const upserts: SnapshotEntry[] = [];
    const removals: string[] = [];
    const consider = (name: string) => {
      const entry = entries.get(name);
      const wanted = entry !== undefined && this.wants(name) && visible(entry, snapshot, namespace, this.wildcard && !this.names.has(name));
      if (wanted) {
        if (this.known.get(name) !== entry.version) upserts.push(entry);
      } else if (this.known.has(name)) removals.push(name);
    };
    if (this.syncedTo !== undefined && this.syncedTo === snapshot.previous) {
      for (const name of snapshot.changed.get(this.typeUrl)!) consider(name);
      for (const name of snapshot.removed.get(this.typeUrl)!) consider(name);
    } else {
      for (const name of entries.keys()) consider(name);
      for (const name of this.known.keys()) if (!entries.has(name)) removals.push(name);
      // Names asked for that do not exist are simply absent (not an error in xDS).
    }
    return { upserts, removals };
  }

  /** Everything this subscription should hold in `snapshot`, in snapshot order. */
  desired(snapshot: Snapshot, namespace: string | undefined): SnapshotEntry[] {
    const out: SnapshotEntry[] = [];
    for (const entry of snapshot.entries.get(this.typeUrl)!.values()) {
      if (this.wants(entry.name) && visible(entry, snapshot, namespace, this.wildcard && !this.names.has(entry.name))) out.push(entry);
    }
    return out;
  }

  /** Records that the proxy now holds `diff` (sent, or nothing to send). */
  apply(diff: Diff, snapshot: Snapshot): void {
    for (const e of diff.upserts) this.known.set(e.name, e.version);
    for (const n of diff.removals) this.known.delete(n);
    this.syncedTo = snapshot.version;
  }

  /** Forgets what the proxy held, so that the next diff is computed in full (names changed, reconnect). */
  resync(): void {
    this.syncedTo = undefined;
  }
}
