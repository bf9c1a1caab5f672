import { allSteps } from "./scenario/steps.ts";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { InputProblem } from "../common/errors.ts";
import { parseResources } from "../control-plane/resources/parse.ts";
import { validateResources } from "../control-plane/resources/validate.ts";
import { InvalidInputError } from "../common/errors.ts";
import { isScenarioFile, loadScenario } from "./scenario/loader.ts";
import type { DataPlane, Scenario } from "./scenario/types.ts";
import { unsupportedOnDataPlanes } from "./data-plane-support.ts";
import { envoyUnsupported, unsupportedProblem } from "../control-plane/translate/envoy/index.ts";
import { validateScenarioResources } from "./scenario-resources.ts";

/**
 * `meshsim validate`: scenario files are loaded and their resources checked in the order the
 * scenario applies them. Other YAML files are checked together as one set of Aeraki/Istio
 * resources — except files a scenario includes, which only make sense inside it.
 */
export async function validateFiles(files: string[], options: { dataPlane?: DataPlane } = {}): Promise<InputProblem[]> {
  const problems: InputProblem[] = [];
  const included = new Set<string>();
  const others: string[] = [];
  for (const file of files) {
    if (!isScenarioFile(file)) {
      others.push(file);
      continue;
    }
    try {
      const scenario = await loadScenario(file);
      for (const f of includedFiles(scenario)) included.add(f);
      problems.push(...validateScenarioResources(scenario));
      // With --data-plane envoy, what Envoy cannot express is a problem too (exit 2).
      problems.push(...unsupportedOnDataPlanes(scenario, options.dataPlane));
    } catch (err) {
      if (err instanceof InvalidInputError) problems.push(...err.problems);
      else throw err;
    }
  }
  const resourceFiles = others.filter((f) => !included.has(resolve(f)));
  const parsed = resourceFiles.map((f) => parseResources(readFileSync(f, "utf8"), f));
  for (const r of parsed) problems.push(...r.problems);
  if (resourceFiles.length > 0) {
    const resources = parsed.flatMap((r) => r.resources);
    problems.push(...validateResources(resources));
    if (options.dataPlane === "envoy") problems.push(...envoyUnsupported(resources).map(unsupportedProblem));
  }
  return problems;
}

function includedFiles(scenario: Scenario): string[] {
  const all = [...scenario.resources, ...allSteps(scenario.steps).flatMap((s) => [...s.apply, ...s.delete])];
  return all.map((r) => resolve(r.source.file)).filter((f) => f !== resolve(scenario.file));
}
