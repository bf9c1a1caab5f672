import { readFileSync } from "node:fs";
import type { InputProblem } from "../common/errors.ts";
import { parseResources } from "../control-plane/resources/parse.ts";
import { validateResources } from "../control-plane/resources/validate.ts";
import { InvalidInputError } from "../common/errors.ts";
import { loadScenario } from "./scenario/loader.ts";
import { validateScenarioResources } from "./scenario-resources.ts";

/**
 * `meshsim validate`: scenario files are loaded and their resources checked in order; other
 * YAML files are checked as one set of Aeraki/Istio resources.
 */
export async function validateFiles(files: string[]): Promise<InputProblem[]> {
  const problems: InputProblem[] = [];
  const resourceFiles: string[] = [];
  for (const file of files) {
    if (/^kind:\s*Scenario\s*$/m.test(readFileSync(file, "utf8"))) {
      try {
        problems.push(...validateScenarioResources(await loadScenario(file)));
      } catch (err) {
        if (err instanceof InvalidInputError) problems.push(...err.problems);
        else throw err;
      }
    } else resourceFiles.push(file);
  }
  const all = resourceFiles.map((f) => parseResources(readFileSync(f, "utf8"), f));
  for (const r of all) problems.push(...r.problems);
  if (resourceFiles.length > 0) problems.push(...validateResources(all.flatMap((r) => r.resources)));
  return problems;
}
