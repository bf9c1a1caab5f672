import type { InputProblem } from "../../../common/errors.ts";
import { resolveResourceList } from "../includes.ts";
import { SCENARIO_API_VERSION, type Scenario, type Step } from "../types.ts";
import { createContext } from "./context.ts";
import { reportDuplicates } from "./helpers.ts";
import type { NormalizeInput, RawScenario } from "./raw-shape.ts";
import { normalizeTopology } from "./topology.ts";
import { metricNormalizers } from "./metric.ts";
import { faultNormalizers } from "./faults.ts";
import { trafficNormalizers } from "./traffic.ts";
import { assertionNormalizers } from "./assertions.ts";
import { expectationNormalizers } from "./expectations.ts";
import { stepNormalizers } from "./steps.ts";

export type { NormalizeInput } from "./raw-shape.ts";

/** Turns a validated scenario document into the shape the runner uses: defaults filled, references checked. */
export async function normalizeScenario(input: NormalizeInput, problems: InputProblem[]): Promise<Scenario> {
  const { doc, file, scope, resourceName } = input;
  const original = doc.value as RawScenario;
  const base = createContext(input, problems);
  const { raw, problem } = base;
  const topology = normalizeTopology(base);
  const { services, clients, rateLimitService } = topology;
  const withTopology = { ...base, ...topology };
  const withMetric = { ...withTopology, ...metricNormalizers(withTopology) };
  const steps: Step[] = [];
  const withAssertions = { ...withMetric, ...assertionNormalizers({ ...withMetric, steps }) };
  const { normalizeStep } = stepNormalizers({
    ...withMetric,
    ...faultNormalizers(withMetric),
    ...trafficNormalizers(withTopology),
    ...expectationNormalizers(withAssertions),
  });

  const resources = raw.resources !== undefined ? await resolveResourceList(doc, resourceName, ["resources"], raw.resources, scope, problems) : [];
  for (const [i, s] of original.steps.entries()) steps.push(await normalizeStep(s, ["steps", i], scope, `step-${i + 1}`, (input.rendered as RawScenario).steps[i]));
  reportDuplicates(
    steps.map((s) => s.name),
    (i) => problem(["steps", i, "name"], `step name "${steps[i]!.name}" is used twice; reports need unique names`),
  );

  return {
    apiVersion: SCENARIO_API_VERSION,
    kind: "Scenario",
    file,
    text: input.text,
    vars: { ...scope },
    metadata: {
      name: raw.metadata.name,
      tags: raw.metadata.tags ?? [],
      ...(raw.metadata.description !== undefined ? { description: raw.metadata.description } : {}),
    },
    topology: {
      services,
      clients,
      ...(raw.topology.dataPlane !== undefined && { dataPlane: raw.topology.dataPlane }),
      ...(raw.topology.backend !== undefined && { backend: raw.topology.backend }),
      ...(rateLimitService !== undefined && { rateLimitService }),
    },
    resources,
    steps,
  };
}
