/**
 * The steps of a scenario that change configuration (`apply`, `delete`), for `meshsim up`: by
 * default it brings the topology up with the scenario's `resources` only and names these steps;
 * with `--apply` it applies them in the order a run meets them, leaving the configuration as it
 * is after the scenario's last change.
 */
import type { ControlPlaneClient } from "./runtime/control-plane-client.ts";
import { allSteps } from "./scenario/steps.ts";
import type { Scenario, Step } from "./scenario/types.ts";

export function configSteps(scenario: Scenario): Step[] {
  return allSteps(scenario.steps).filter((s) => s.apply.length > 0 || s.delete.length > 0);
}

/** One line per step: its name and the resources it applies (+) or deletes (-). */
export function describeConfigStep(step: Step): string {
  const changes = [...step.apply.map((r) => `+${r.kind}/${r.name}`), ...step.delete.map((r) => `-${r.kind}/${r.name}`)];
  return `"${step.name}" ${changes.join(" ")}`;
}

/** Applies and deletes what each configuration step does, in order. */
export async function applyConfigSteps(steps: readonly Step[], controlPlane: ControlPlaneClient): Promise<void> {
  for (const step of steps) {
    if (step.apply.length > 0) await controlPlane.apply(step.apply.map((r) => r.object));
    for (const r of step.delete) await controlPlane.delete(r.kind, r.namespace ?? "default", r.name);
  }
}
