import type { FieldPath } from "../../../common/yaml-source.ts";
import { resolveResourceList } from "../includes.ts";
import type { TemplateScope } from "../template.ts";
import { ACTION_ORDER, DEFAULTS, type FaultSpec, type WaitForSpec, type Step, type StepAction } from "../types.ts";
import type { RawStep } from "./raw-shape.ts";
import type { TopologyContext } from "./context.ts";

import type { metricNormalizers } from "./metric.ts";
import type { faultNormalizers } from "./faults.ts";
import type { trafficNormalizers } from "./traffic.ts";
import type { expectationNormalizers } from "./expectations.ts";

/** Steps, their bodies and repeats, with templates rendered per iteration. */
export function stepNormalizers(
  ctx: TopologyContext & ReturnType<typeof metricNormalizers> & ReturnType<typeof faultNormalizers> & ReturnType<typeof trafficNormalizers> & ReturnType<typeof expectationNormalizers>,
) {
  const { doc, resourceName, problems, problem, at, duration, render, checkInstance, normalizeMetric, normalizeFault, normalizeTraffic, normalizeExpectations } = ctx;
  /**
   * `rendered` is the step as the loader already rendered it for the schema, when that is what
   * this step runs as: outside any repeat (a repeat body renders once per iteration with its i).
   */
  async function normalizeStep(original: RawStep, path: FieldPath, stepScope: TemplateScope, defaultName: string, rendered?: RawStep): Promise<Step> {
    const ready = original.repeat === undefined ? rendered : undefined;
    const head = ready ? { name: ready.name, id: ready.id, repeat: ready.repeat } : render({ name: original.name, id: original.id, repeat: original.repeat }, path, stepScope);
    const name = head.name ?? defaultName;
    if (!head.repeat) {
      const step = await normalizeBody(original, path, stepScope, name, head.id, ready);
      step.expect = ready ? normalizeExpectations(ready.expect, path, stepScope, step, true) : normalizeExpectations(original.expect, path, stepScope, step);
      return step;
    }
    const everyMs = duration([...path, "repeat", "every"], head.repeat.every, 0);
    const iterations: Step[] = [];
    for (let i = 1; i <= head.repeat.times; i++) {
      const iterationScope = { ...stepScope, i };
      const body = await normalizeBody(original, path, iterationScope, `${name} #${i}`, head.id);
      body.expect = normalizeExpectations(original.expect, path, iterationScope, body);
      iterations.push(body);
    }
    if (iterations.every((it) => it.actions.length === 0))
      problem([...path, "repeat"], "repeat needs something to repeat: apply, delete, fault, waitFor, sleep, traffic, parallel or sequence beside it");
    return {
      name,
      ...(head.id !== undefined ? { id: head.id } : {}),
      actions: ["repeat"],
      apply: [],
      delete: [],
      repeat: { times: head.repeat.times, everyMs, iterations },
      expect: [],
      source: at(path),
    };
  }

  async function normalizeBody(original: RawStep, path: FieldPath, stepScope: TemplateScope, name: string, id: string | undefined, rendered?: RawStep): Promise<Step> {
    const s = rendered ?? (render({ ...original, parallel: undefined, sequence: undefined, expect: undefined, name: undefined }, path, stepScope) as unknown as RawStep);
    const present: Record<StepAction, boolean> = {
      apply: s.apply !== undefined,
      delete: s.delete !== undefined,
      fault: s.fault !== undefined,
      waitFor: s.waitFor !== undefined,
      sleep: s.sleep !== undefined,
      traffic: s.traffic !== undefined,
      parallel: original.parallel !== undefined,
      sequence: original.sequence !== undefined,
      repeat: false,
    };
    const actions = ACTION_ORDER.filter((a) => present[a]);
    if (actions.length === 0) problem(path, "a step needs at least one of apply, delete, fault, waitFor, sleep, traffic, parallel, sequence, repeat");
    const traffic = s.traffic ? normalizeTraffic(s.traffic, [...path, "traffic"]) : undefined;
    const children = async (key: "parallel" | "sequence") => {
      const list = original[key];
      if (!list) return undefined;
      const out: Step[] = [];
      for (const [k, child] of list.entries()) out.push(await normalizeStep(child, [...path, key, k], stepScope, `${name} ${key}[${k}]`, rendered?.[key]?.[k]));
      return out;
    };
    const parallel = await children("parallel");
    const sequence = await children("sequence");
    const faults =
      s.fault === undefined ? undefined : (Array.isArray(s.fault) ? s.fault : [s.fault]).map((f, k) => normalizeFault(f, Array.isArray(s.fault) ? [...path, "fault", k] : [...path, "fault"]));
    return {
      name,
      ...(id !== undefined ? { id } : {}),
      actions,
      apply: s.apply !== undefined ? await resolveResourceList(doc, resourceName, [...path, "apply"], s.apply, stepScope, problems) : [],
      delete: s.delete !== undefined ? await resolveResourceList(doc, resourceName, [...path, "delete"], s.delete, stepScope, problems) : [],
      ...(faults ? { fault: faults.filter((f): f is FaultSpec => f !== undefined) } : {}),
      ...(s.waitFor ? { waitFor: normalizeWaitFor(s.waitFor, [...path, "waitFor"]) } : {}),
      ...(s.sleep !== undefined ? { sleepMs: duration([...path, "sleep"], s.sleep, 0) } : {}),
      ...(traffic ? { traffic } : {}),
      ...(parallel ? { parallel } : {}),
      ...(sequence ? { sequence } : {}),
      expect: [],
      source: at(path),
    };
  }

  function normalizeWaitFor(w: NonNullable<RawStep["waitFor"]>, path: FieldPath): WaitForSpec {
    const fixtures = w.fixture === undefined ? [] : Array.isArray(w.fixture) ? w.fixture : [w.fixture];
    fixtures.forEach((f, k) => checkInstance(f, Array.isArray(w.fixture) ? [...path, "fixture", k] : [...path, "fixture"]));
    return {
      acked: w.acked ?? (w.metric === undefined && fixtures.length === 0),
      ...(w.metric ? { metric: normalizeMetric(w.metric, [...path, "metric"]) } : {}),
      fixtures,
      timeoutMs: duration([...path, "timeout"], w.timeout, DEFAULTS.waitForTimeoutMs),
    };
  }

  return { normalizeStep };
}
