/**
 * Topology start-up time, processes vs containers: from `upScenario` called to the topology up,
 * the scenario's resources applied and every sidecar's config acknowledged; then `down()`, timed
 * too. The container image is built (or found) before timing starts.
 *
 *   node --import tsx bench/topology-startup.bench.ts [runs=3] [scenario.yaml ...]
 */
import { upScenario } from "../simulator/runner.ts";
import { closeEngine, openEngine } from "../simulator/runtime/containers/engine.ts";
import { ensureImage } from "../simulator/runtime/containers/images.ts";

const runs = Number(process.argv[2] ?? 3);
const scenarios = process.argv.length > 3 ? process.argv.slice(3) : ["scenarios/thrift/traffic-split.yaml", "scenarios/thrift/version-routing.yaml"];

await ensureImage(await openEngine());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const scenario of scenarios) {
  for (const backend of ["processes", "containers"] as const) {
    const up: number[] = [];
    const down: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const topology = await upScenario(scenario, { backend });
      const t1 = performance.now();
      await topology.down();
      up.push(t1 - t0);
      down.push(performance.now() - t1);
    }
    const fmt = (xs: number[]) => `median ${(median(xs) / 1000).toFixed(2)} s (${xs.map((x) => (x / 1000).toFixed(2)).join(", ")})`;
    process.stdout.write(`${scenario}  ${backend.padEnd(10)}  up ${fmt(up)}  down ${fmt(down)}\n`);
  }
}
await closeEngine();
