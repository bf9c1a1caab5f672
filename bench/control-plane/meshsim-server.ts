/**
 * meshsim's control plane as a process of its own, for the control-plane benchmark (the same
 * line protocol as the go-control-plane baseline, so both are measured the same way).
 *
 *   node --import tsx bench/control-plane/meshsim-server.ts <proxies> <services> <debounce-ms> <max-inflight>
 *
 * Prints {"port":N} once serving, then, per version, {"version":V,"times":[ms...]} once every
 * proxy has ACKed every type of it (ms since the change was applied). A stdin line `change <c>`
 * applies the benchmark's change number c; stdin closing stops the server.
 */
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import { ConfigPublisher } from "../../control-plane/config-publisher.ts";
import { parseResources } from "../../control-plane/resources/index.ts";
import { MemoryStore } from "../../control-plane/sources/memory-store.ts";
import { PushGate } from "../../control-plane/xds/ads-stream.ts";
import { startXdsServer } from "../../control-plane/xds/server.ts";
import { SnapshotCache } from "../../control-plane/xds/snapshot-cache.ts";
import { XdsStatusTracker } from "../../control-plane/xds/xds-status.ts";
import { changeYaml, workloadYaml } from "./workload.ts";

const [proxies, services, debounceMs, maxInflight] = process.argv.slice(2).map(Number) as [number, number, number, number];
const TYPES = 4;

/** Records, for one target version, when each proxy has ACKed it for every type; reports when all have. */
class TimingTracker extends XdsStatusTracker {
  private target: string | undefined;
  private start = 0;
  private readonly done = new Map<string, number>();
  private readonly partial = new Map<string, Set<string>>();

  expect(version: string): void {
    this.target = version;
    this.start = performance.now();
    this.done.clear();
    this.partial.clear();
  }

  override acked(id: string, typeUrl: string, version: string): void {
    super.acked(id, typeUrl, version);
    if (version !== this.target || this.done.has(id)) return;
    let types = this.partial.get(id);
    if (!types) this.partial.set(id, (types = new Set()));
    types.add(typeUrl);
    if (types.size < TYPES) return;
    this.done.set(id, performance.now() - this.start);
    if (this.done.size === proxies) process.stdout.write(`${JSON.stringify({ version, times: [...this.done.values()] })}\n`);
  }
}

const store = new MemoryStore();
const cache = new SnapshotCache();
const tracker = new TimingTracker();
const publisher = new ConfigPublisher(store, cache, debounceMs);
const parsed = parseResources(workloadYaml(services), "bench.yaml");
if (parsed.problems.length > 0) throw new Error(parsed.problems[0]!.message);
store.apply(parsed.resources);
tracker.expect(publisher.publishNow().version);
const xds = await startXdsServer({ port: 0, cache, tracker, gate: new PushGate(maxInflight) });
process.stdout.write(`${JSON.stringify({ port: xds.port })}\n`);

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const m = /^change (\d+)$/.exec(line);
  if (!m) return;
  tracker.expect(cache.nextVersion());
  store.apply(parseResources(changeYaml(services, Number(m[1])), "change.yaml").resources);
});
lines.on("close", () => {
  publisher.close();
  void xds.close().then(() => process.exit(0));
});
