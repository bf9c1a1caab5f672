/**
 * The simulator's resource store: resources keyed by `Kind/namespace/name`, applied and
 * deleted at runtime. Listeners hear about every change; the control plane debounces them.
 */
import type { Resource } from "../resources/kinds.ts";
import { resourceKey } from "../resources/resource.ts";

export interface StoreChange {
  applied: string[];
  deleted: string[];
}

export type StoreListener = (change: StoreChange) => void;

export class MemoryStore {
  private readonly resources = new Map<string, Resource>();
  private readonly listeners = new Set<StoreListener>();

  /** Adds or replaces resources; one change event for the whole batch. Returns their keys. */
  apply(resources: readonly Resource[]): string[] {
    const keys = resources.map((r) => {
      const key = resourceKey(r);
      this.resources.set(key, r);
      return key;
    });
    if (keys.length > 0) this.emit({ applied: keys, deleted: [] });
    return keys;
  }

  /** Returns false when nothing was stored under that key. */
  delete(kind: string, namespace: string, name: string): boolean {
    const key = `${kind}/${namespace}/${name}`;
    if (!this.resources.delete(key)) return false;
    this.emit({ applied: [], deleted: [key] });
    return true;
  }

  get(kind: string, namespace: string, name: string): Resource | undefined {
    return this.resources.get(`${kind}/${namespace}/${name}`);
  }

  /** In insertion order, which keeps translation output stable. */
  list(): Resource[] {
    return [...this.resources.values()];
  }

  /** Returns the unsubscribe function. */
  onChange(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: StoreChange): void {
    for (const l of this.listeners) l(change);
  }
}
