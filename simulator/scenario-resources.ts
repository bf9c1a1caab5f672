import { allSteps } from "./scenario/steps.ts";
import type { InputProblem } from "../common/errors.ts";
import type { SourceDocument } from "../common/yaml-source.ts";
import { parseResourceDocument } from "../control-plane/resources/parse.ts";
import { validateResources } from "../control-plane/resources/validate.ts";
import { resourceKey, type Resource } from "../control-plane/resources/index.ts";
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
  const seen = new Set<string>();
  for (const state of scenarioResourceStates(scenario, problems)) {
    for (const p of validateResources(state.resources)) {
      const key = `${p.file}:${p.line}:${p.column}:${p.path}:${p.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        problems.push(p);
      }
    }
  }
  return problems;
}

/** The resources in force at one point of a scenario: before its first step (`step` absent) or after a step that applies or deletes. */
export interface ResourceState {
  step?: string;
  resources: Resource[];
}

/**
 * The resources in force after the scenario's own resources are applied, then after each step
 * that applies or deletes resources, in order; the topology's own ServiceEntries and
 * DestinationRules included. Parse problems are appended to `problems`.
 */
export function scenarioResourceStates(scenario: Scenario, problems: InputProblem[]): ResourceState[] {
  const state = new Map<string, Resource>();
  for (const r of topologyResources(scenario, problems)) state.set(resourceKey(r), r);
  const applyAll = (list: ScenarioResource[]) => {
    for (const sr of list) {
      const r = parseScenarioResource(sr, problems);
      if (r) state.set(resourceKey(r), r);
    }
  };
  applyAll(scenario.resources);
  const out: ResourceState[] = [{ resources: [...state.values()] }];
  for (const step of allSteps(scenario.steps)) {
    if (step.apply.length === 0 && step.delete.length === 0) continue;
    applyAll(step.apply);
    for (const d of step.delete) state.delete(`${d.kind}/${d.namespace ?? "default"}/${d.name}`);
    out.push({ step: step.name, resources: [...state.values()] });
  }
  return out;
}

export function parseScenarioResource(sr: ScenarioResource, problems: InputProblem[]): Resource | undefined {
  const doc: SourceDocument = { file: sr.source.file, value: sr.object, locate: (path) => sr.source.locate(path) };
  return parseResourceDocument(doc, problems);
}

/** The ServiceEntries and DestinationRules the runtime will generate, with placeholder endpoints. */
export function topologyResources(scenario: Scenario, problems: InputProblem[]): Resource[] {
  const spec = toTopologySpec(scenario);
  const ownDr = new Set(
    [...scenario.resources, ...allSteps(scenario.steps).flatMap((s) => s.apply)].filter((r) => r.kind === "DestinationRule").map((r) => (r.object.spec as { host?: string } | undefined)?.host),
  );
  const out: Resource[] = [];
  spec.services.forEach((s, i) => {
    // Addresses are given at run time; the instance name stands in for one (as it does in containers).
    const instances = Object.keys(s.versions).map((v) => ({ service: s.name, version: v, instance: instanceName(s.name, v, 0), host: instanceName(s.name, v, 0), port: s.port }));
    const objects = [serviceEntryFor(s, instances), ...(ownDr.has(serviceHost(s)) ? [] : [destinationRuleFor(s)])];
    // Generated resources are located at the service they come from.
    out.push(...generated(objects, scenario.file, scenario.topology.services[i]!.source, problems));
  });
  const rls = scenario.topology.rateLimitService;
  if (spec.rateLimitService && rls) out.push(...generated([rateLimitServiceEntryFor(spec.rateLimitService, { host: "127.0.0.1", port: 1 })], scenario.file, rls.source, problems));
  return out;
}

function generated(objects: readonly object[], file: string, at: { line: number; column: number }, problems: InputProblem[]): Resource[] {
  return objects.flatMap((value) => parseResourceDocument({ file, value, locate: () => ({ line: at.line, column: at.column }) }, problems) ?? []);
}
