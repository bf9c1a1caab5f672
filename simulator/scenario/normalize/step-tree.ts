import type { ServiceSpec, Step } from "../types.ts";
/** Traffic under a step, with the branch id it will report under. */
export function trafficIn(
  step: Step,
  id: string | undefined,
  out: Array<{ id: string | undefined; ids: Set<string> }> = [],
  ids = new Set<string>(),
): Array<{ id: string | undefined; ids: Set<string> }> {
  const here = step.id ?? id;
  const nextIds = new Set(ids);
  if (step.id !== undefined) nextIds.add(step.id);
  if (step.traffic) out.push({ id: here, ids: nextIds });
  for (const child of [...(step.parallel ?? []), ...(step.sequence ?? []), ...(step.repeat?.iterations ?? [])]) trafficIn(child, here, out, nextIds);
  return out;
}

export function idsIn(step: Step, out = new Set<string>()): Set<string> {
  if (step.id !== undefined) out.add(step.id);
  for (const child of [...(step.parallel ?? []), ...(step.sequence ?? []), ...(step.repeat?.iterations ?? [])]) idsIn(child, out);
  return out;
}

export function firstService(step: Step): ServiceSpec | undefined {
  if (step.traffic) return step.traffic.service;
  for (const child of [...(step.parallel ?? []), ...(step.sequence ?? []), ...(step.repeat?.iterations ?? [])]) {
    const found = firstService(child);
    if (found) return found;
  }
  return undefined;
}

export function keyedTraffic(step: Step): boolean {
  if (step.traffic?.keys !== undefined) return true;
  return [...(step.parallel ?? []), ...(step.sequence ?? []), ...(step.repeat?.iterations ?? [])].some(keyedTraffic);
}

/** Names of the steps nested in `step` (not `step` itself), for `after:`. */
export function stepNamesUnder(step: Step, out: string[] = []): string[] {
  for (const child of [...(step.parallel ?? []), ...(step.sequence ?? []), ...(step.repeat?.iterations ?? [])]) {
    if (!out.includes(child.name)) out.push(child.name);
    stepNamesUnder(child, out);
  }
  return out;
}
