/**
 * What a scenario asks of its sidecars' data plane that the data plane cannot do, found before
 * anything starts. For Envoy sidecars: every resource field Envoy's native filters cannot express
 * (control-plane/translate/envoy/unsupported.ts), plus what the scenario itself asks —
 * Redis deployments and route changes that redis_proxy cannot follow. Each problem names the
 * file:line of the field and the missing Envoy capability.
 */
import type { InputProblem } from "../common/errors.ts";
import { envoyUnsupported, unsupportedProblem } from "../control-plane/translate/envoy/index.ts";
import { REDIS_CLUSTER_MODE } from "../control-plane/translate/envoy/unsupported.ts";
import type { Resource } from "../control-plane/resources/index.ts";
import { allSteps } from "./scenario/steps.ts";
import type { DataPlane, Scenario } from "./scenario/types.ts";
import { parseScenarioResource, topologyResources } from "./scenario-resources.ts";
import { clientDataPlane } from "./scenario-topology.ts";

const REDIS_DEPLOYMENT: Record<string, string> = {
  replicated:
    "redis_proxy treats every endpoint of a plain cluster as a primary shard and hashes keys across them, so writes would reach the replica; roles and read policies need Redis Cluster discovery (envoy.clusters.redis), which meshsim does not generate",
  cluster: REDIS_CLUSTER_MODE,
};
const REDIS_ROUTE_CHANGE =
  "redis_proxy's routes live in its listener (no route discovery): a RedisService applied or deleted while clients are connected replaces the listener, and open connections keep the old routes until they are drained and closed";

export function usesEnvoy(scenario: Scenario, dataPlane?: DataPlane): boolean {
  return scenario.topology.clients.some((c) => c.sidecar && clientDataPlane(scenario, c, dataPlane) === "envoy");
}

/** Problems, deduplicated, in the order found; empty when every sidecar can do what is asked. */
export function unsupportedOnDataPlanes(scenario: Scenario, dataPlane?: DataPlane): InputProblem[] {
  if (!usesEnvoy(scenario, dataPlane)) return [];
  const ignored: InputProblem[] = [];
  const all: Resource[] = [...topologyResources(scenario, ignored)];
  for (const sr of [...scenario.resources, ...allSteps(scenario.steps).flatMap((s) => s.apply)]) {
    const r = parseScenarioResource(sr, ignored);
    if (r) all.push(r);
  }
  const out: InputProblem[] = envoyUnsupported(all).map(unsupportedProblem);

  scenario.topology.services.forEach((s, i) => {
    const reason = s.redis ? REDIS_DEPLOYMENT[s.redis.mode] : undefined;
    if (reason) out.push({ ...at(s.source), resource: `Scenario/${scenario.metadata.name}`, path: `topology.services.${i}.redis.mode`, message: `not supported on envoy: ${reason}` });
  });
  // A RedisService applied while traffic flows (in a parallel block beside a traffic branch)
  // replaces redis_proxy's listener under open connections. Between traffic steps it is fine:
  // each traffic step opens its own connections.
  for (const step of allSteps(scenario.steps)) {
    const branches = step.parallel ?? [];
    if (!branches.some((b) => allSteps([b]).some((d) => d.traffic))) continue;
    for (const d of allSteps(branches)) {
      for (const r of [...d.apply, ...d.delete]) {
        if (r.kind === "RedisService") out.push({ ...at(r.source), resource: `RedisService/${r.name}`, path: "", message: `not supported on envoy: ${REDIS_ROUTE_CHANGE}` });
      }
    }
  }
  const seen = new Set<string>();
  return out.filter((p) => {
    const key = `${p.file}:${p.line}:${p.column}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function at(source: { file: string; line: number; column: number }): { file: string; line: number; column: number } {
  return { file: source.file, line: source.line, column: source.column };
}
