/**
 * The snapshots meshsim's control plane serves in the benchmark (the initial one, then one per
 * change), written as JSON for the go-control-plane baseline: every resource a wildcard proxy
 * gets, as the Any bytes meshsim encoded, so both servers serve the same resources.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TYPE_URL } from "../../common/envoy-protos.ts";
import { ConfigPublisher } from "../../control-plane/config-publisher.ts";
import { parseResources } from "../../control-plane/resources/index.ts";
import { MemoryStore } from "../../control-plane/sources/memory-store.ts";
import { SnapshotCache, type Snapshot } from "../../control-plane/xds/snapshot-cache.ts";
import { changeYaml, workloadYaml } from "./workload.ts";

const SERVED = [TYPE_URL.cluster, TYPE_URL.endpoint, TYPE_URL.listener, TYPE_URL.route] as const;

function write(snapshot: Snapshot, file: string): void {
  const resources: Array<{ type: string; value: string }> = [];
  for (const typeUrl of SERVED) {
    for (const entry of snapshot.entries.get(typeUrl)!.values()) {
      // What a wildcard proxy is served: no API listeners (gRPC clients only).
      if (!entry.grpcOnly) resources.push({ type: typeUrl, value: Buffer.from(entry.any.value).toString("base64") });
    }
  }
  writeFileSync(file, JSON.stringify({ version: snapshot.version, resources }));
}

/** Writes `<dir>/<version>.json` for the initial snapshot and each of `changes`; returns the paths in order. */
export function dumpSnapshots(services: number, changes: number, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const store = new MemoryStore();
  const cache = new SnapshotCache();
  const publisher = new ConfigPublisher(store, cache, 0);
  const files: string[] = [];
  const publish = () => {
    const snapshot = publisher.publishNow();
    const file = join(dir, `${snapshot.version}.json`);
    write(snapshot, file);
    files.push(file);
  };
  try {
    store.apply(parseResources(workloadYaml(services), "bench.yaml").resources);
    publish();
    for (let c = 0; c < changes; c++) {
      store.apply(parseResources(changeYaml(services, c), "change.yaml").resources);
      publish();
    }
  } finally {
    publisher.close();
  }
  return files;
}
