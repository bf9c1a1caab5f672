import type { Step } from "./types.ts";

/** Every step, nested ones (parallel, sequence, repeat iterations) included, depth first in run order. */
export function allSteps(steps: readonly Step[]): Step[] {
  return steps.flatMap((s) => [s, ...allSteps([...(s.parallel ?? []), ...(s.sequence ?? []), ...(s.repeat?.iterations ?? [])])]);
}
