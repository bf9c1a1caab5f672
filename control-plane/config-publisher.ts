/**
 * Turns store changes into snapshots: changes are debounced (a burst of applies becomes one
 * version: the snapshot is built once the store has been quiet for `debounceMs`, or at the
 * latest `maxDelayMs` after the first change of the burst), then translated and pushed.
 * Callers can wait for the version a change produces.
 */
import type { MemoryStore } from "./sources/memory-store.ts";
import { translate } from "./translate/index.ts";
import type { Snapshot, SnapshotCache } from "./xds/snapshot-cache.ts";
import type { DataPlaneCaches } from "./xds/data-plane-caches.ts";

export class ConfigPublisher {
  private timer: NodeJS.Timeout | undefined;
  /** When the first change of the current burst arrived. */
  private burstStart = 0;
  private readonly maxDelayMs: number;
  private waiters: Array<{ resolve: (s: Snapshot) => void; reject: (e: unknown) => void }> = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: MemoryStore,
    private readonly cache: SnapshotCache,
    private readonly debounceMs: number,
    maxDelayMs?: number,
    /** Envoy sidecars' caches, built at the same version as `cache`. */
    private readonly dataPlanes?: DataPlaneCaches,
  ) {
    this.maxDelayMs = maxDelayMs ?? Math.max(debounceMs * 10, 100);
    this.unsubscribe = store.onChange(() => this.schedule());
  }

  /** True while a change waits for its debounce to end. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  /** Translates the store now, without waiting. */
  publishNow(): Snapshot {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    try {
      const resources = this.store.list();
      // Translated first: when it throws, no cache moves to the next version.
      const meshsim = translate(resources);
      const version = this.cache.nextVersion();
      this.dataPlanes?.publishEnvoy(resources, version);
      const snapshot = this.cache.set(meshsim, version);
      for (const w of waiters) w.resolve(snapshot);
      return snapshot;
    } catch (err) {
      for (const w of waiters) w.reject(err);
      throw err;
    }
  }

  /** Resolves with the snapshot that includes every change made so far. */
  settled(): Promise<Snapshot> {
    if (!this.timer) return Promise.resolve(this.cache.current());
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  close(): void {
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiters) w.reject(new Error("control plane closed"));
    this.waiters = [];
  }

  private schedule(): void {
    const now = Date.now();
    if (this.timer) clearTimeout(this.timer);
    else this.burstStart = now;
    const delay = Math.max(0, Math.min(this.debounceMs, this.burstStart + this.maxDelayMs - now));
    this.timer = setTimeout(() => {
      try {
        this.publishNow();
      } catch (err) {
        process.stderr.write(`meshsim control plane: translation failed, keeping the previous version: ${(err as Error).message}\n`);
      }
    }, delay);
  }
}
