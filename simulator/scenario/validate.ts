/** `meshsim validate`: every problem of every scenario file, without running anything. */
import { allSteps } from "./steps.ts";
import type { InputProblem } from "../../common/errors.ts";
import { loadScenario } from "./loader.ts";
import { InvalidInputError } from "../../common/errors.ts";
import type { Scenario, ScenarioResource } from "./types.ts";

export interface ValidateOptions {
  /** Deeper checks of each resource (e.g. the control plane's MetaRouter validation), using `resource.source.locate`. */
  validateResource?: (resource: ScenarioResource, scenario: Scenario) => InputProblem[] | Promise<InputProblem[]>;
}

export async function validateScenarioFiles(paths: readonly string[], options: ValidateOptions = {}): Promise<InputProblem[]> {
  const problems: InputProblem[] = [];
  for (const path of paths) {
    let scenario: Scenario;
    try {
      scenario = await loadScenario(path);
    } catch (err) {
      if (err instanceof InvalidInputError) {
        problems.push(...err.problems);
        continue;
      }
      throw err;
    }
    if (!options.validateResource) continue;
    const resources = [...scenario.resources, ...allSteps(scenario.steps).flatMap((s) => [...s.apply, ...s.delete])];
    for (const resource of resources) problems.push(...(await options.validateResource(resource, scenario)));
  }
  return problems;
}
