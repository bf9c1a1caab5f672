import { allSteps } from "./scenario/steps.ts";
import type { InputProblem } from "../common/errors.ts";
import type { SourceDocument } from "../common/yaml-source.ts";
import { parseResourceDocument } from "../control-plane/resources/parse.ts";
import { validateResources } from "../control-plane/resources/validate.ts";
import { resourceKey, type Resource } from "../control-plane/resources/index.ts";
import { parseResources } from "../control-plane/resources/parse.ts";
import type { Scenario, ScenarioResource } from "./scenario/types.ts";
import { toTopologySpec } from "./scenario-topology.ts";
import { destinationRuleFor, instanceName, rateLimitServiceEntryFor, serviceEntryFor, serviceHost } from "./topology/topology.ts";

/**
 * Checks every resource a scenario will apply, in the order it applies them, against the
 * resources in force at that point (the topology's own ServiceEntries and DestinationRules
 * included) — so a MetaRouter naming an unknown subset fails before any process starts, with the
 * file:line of the field.
 */
export function validateScenarioResources(scenario: Scenario): InputProblem[] {
  const problems: InputProblem[] = [];
  const state = new Map<string, Resource>();
  for (const r of topologyResources(scenario, problems)) state.set(resourceKey(r), r);

  const seen = new Set<string>();
  const check = () => {
    for (const p of validateResources([...state.values()])) {
      const key = `${p.file}:${p.line}:${p.column}:${p.path}:${p.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        problems.push(p);
      }
    }
  };
  const applyAll = (list: ScenarioResource[]) => {
    for (const sr of list) {
      const r = parseScenarioResource(sr, problems);
      if (r) state.set(resourceKey(r), r);
    }
  };
  applyAll(scenario.resources);
  check();
  for (const step of allSteps(scenario.steps)) {
    if (step.apply.length === 0 && step.delete.length === 0) continue;
    applyAll(step.apply);
    for (const d of step.delete) state.delete(`${d.kind}/${d.namespace ?? "default"}/${d.name}`);
    check();
  }
  return problems;
}

export function parseScenarioResource(sr: ScenarioResource, problems: InputProblem[]): Resource | undefined {
  const doc: SourceDocument = { file: sr.source.file, value: sr.object, locate: (path) => sr.source.locate(path) };
  return parseResourceDocument(doc, problems);
}

/** The ServiceEntries and DestinationRules the runtime will generate, with placeholder endpoints. */
export function topologyResources(scenario: Scenario, problems: InputProblem[]): Resource[] {
  const spec = toTopologySpec(scenario);
  const ownDr = new Set(
    [...scenario.resources, ...allSteps(scenario.steps).flatMap((s) => s.apply)]
      .filter((r) => r.kind === "DestinationRule")
      .map((r) => (r.object.spec as { host?: string } | undefined)?.host),
  );
  const objects: object[] = [];
  for (const s of spec.services) {
    const instances = Object.keys(s.versions).map((v) => ({ service: s.name, version: v, instance: instanceName(s.name, v, 0), host: "127.0.0.1", port: 1 }));
    objects.push(serviceEntryFor(s, instances));
    if (!ownDr.has(serviceHost(s))) objects.push(destinationRuleFor(s));
  }
  if (spec.rateLimitService) objects.push(rateLimitServiceEntryFor(spec.rateLimitService, { host: "127.0.0.1", port: 1 }));
  const parsed = parseResources(objects.map((o) => JSON.stringify(o)).join("\n---\n"), `${scenario.file} (topology)`);
  problems.push(...parsed.problems);
  return parsed.resources;
}

