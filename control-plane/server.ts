/**
 * The control plane as a library: a resource store, translation on every (debounced) change,
 * the ADS server, and the HTTP API.
 */
import { ConfigPublisher } from "./config-publisher.ts";
import { startHttpApi } from "./http-api.ts";
import { watchDirectory, type ReloadResult } from "./sources/directory-watcher.ts";
import { loadFilesIntoStore } from "./sources/file-source.ts";
import { MemoryStore } from "./sources/memory-store.ts";
import { SnapshotCache } from "./xds/snapshot-cache.ts";
import { DataPlaneCaches } from "./xds/data-plane-caches.ts";
import { startXdsServer } from "./xds/server.ts";
import { allAcked, XdsStatusTracker, type XdsStatus } from "./xds/xds-status.ts";

export interface ControlPlaneOptions {
  /** 0 (default) picks a free port. */
  xdsPort?: number;
  httpPort?: number;
  /** Resource files or directories loaded before serving; invalid content throws InvalidInputError. */
  files?: string[];
  /** Quiet time before a burst of changes becomes a version (default 20 ms). */
  debounceMs?: number;
  /** Longest a change waits while changes keep coming (default max(10 × debounce, 100 ms)). */
  maxDebounceMs?: number;
  /** A directory watched for resource files; changes are applied without a restart. */
  watch?: string;
  /** Called after every reload of the watched directory (problems included). */
  onReload?: (result: ReloadResult) => void;
}

export interface ControlPlaneStatus extends XdsStatus {
  /** Every connected proxy acked the current version for every type it subscribed to. */
  acked: boolean;
  /** A change is waiting for its debounce; `version` does not include it yet. */
  pending: boolean;
}

export interface ControlPlane {
  xdsPort: number;
  httpPort: number;
  store: MemoryStore;
  status(): ControlPlaneStatus;
  allAcked(version?: string): boolean;
  /** Resolves with the version that includes every change made so far. */
  settled(): Promise<string>;
  close(): Promise<void>;
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const store = new MemoryStore();
  if (options.files && options.files.length > 0) loadFilesIntoStore(store, options.files);
  const watcher = options.watch ? watchDirectory(store, options.watch, { ...(options.onReload && { onReload: options.onReload }) }) : undefined;
  const cache = new SnapshotCache();
  const tracker = new XdsStatusTracker();
  const dataPlanes = new DataPlaneCaches(cache);
  const publisher = new ConfigPublisher(store, cache, options.debounceMs ?? 20, options.maxDebounceMs, dataPlanes);
  publisher.publishNow();
  const status = (): ControlPlaneStatus => {
    const s = tracker.status(cache.current().version);
    return { ...s, acked: !publisher.pending && allAcked(s), pending: publisher.pending };
  };
  const xds = await startXdsServer({ port: options.xdsPort ?? 0, cache, tracker, cacheFor: (node) => dataPlanes.forNode(node) });
  let http: Awaited<ReturnType<typeof startHttpApi>>;
  try {
    http = await startHttpApi({ store, publisher, status }, options.httpPort ?? 0);
  } catch (err) {
    await xds.close();
    throw err;
  }
  const httpServer = http.server;
  return {
    xdsPort: xds.port,
    httpPort: http.port,
    store,
    status,
    allAcked: (version = cache.current().version) => !publisher.pending && tracker.allAcked(version),
    settled: async () => (await publisher.settled()).version,
    async close() {
      watcher?.close();
      publisher.close();
      httpServer.closeAllConnections();
      await Promise.all([new Promise<void>((resolve) => httpServer.close(() => resolve())), xds.close()]);
    },
  };
}
