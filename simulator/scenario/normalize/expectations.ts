import type { FieldPath } from "../../../common/yaml-source.ts";
import type { TemplateScope } from "../template.ts";
import { closest } from "../suggest.ts";
import { vacuousCheck } from "../vacuous-checks.ts";
import type { Assertion, Expectation, Step } from "../types.ts";
import type { RawAssertions, RawExpectation } from "./raw-shape.ts";
import { ASSERTION_KEYS, TEMPORAL_KEYS, WHOLE_TRAFFIC_KEYS } from "./raw-shape.ts";
import { idsIn, trafficIn } from "./step-tree.ts";
import type { TopologyContext } from "./context.ts";

import type { assertionNormalizers } from "./assertions.ts";

/** A step's expectations: when they apply and what they assert. */
export function expectationNormalizers(ctx: TopologyContext & ReturnType<typeof assertionNormalizers>) {
  const { problem, at, duration, render, normalizeAssertion } = ctx;
  function normalizeExpectations(list: RawExpectation[] | undefined, path: FieldPath, stepScope: TemplateScope, step: Step, alreadyRendered = false): Expectation[] {
    if (!list) return [];
    const out: Expectation[] = [];
    const traffic = trafficIn(step, undefined);
    const ids = idsIn(step);
    list.forEach((rawExpectation, j) => {
      const ePath = [...path, "expect", j];
      const e = alreadyRendered ? rawExpectation : render(rawExpectation, ePath, stepScope);
      const checkOf = (of: string | undefined, assertion: Assertion, where: FieldPath) => {
        if (assertion.kind === "metric" || assertion.kind === "accessLog") return;
        if (of !== undefined) {
          if (!ids.has(of)) {
            const guess = closest(of, [...ids]);
            problem(
              [...where, "of"],
              `no branch with id "${of}" in this step${guess ? `; did you mean "${guess}"?` : ids.size ? ` (ids: ${[...ids].join(", ")})` : " (give a parallel branch an id)"}`,
            );
            return;
          }
          const matching = traffic.filter((t) => t.ids.has(of));
          if (matching.length === 0) problem([...where, "of"], `branch "${of}" sends no traffic to check`);
          else if (matching.length > 1) problem([...where, "of"], `branch "${of}" holds ${matching.length} traffic actions; give the one to check its own id`);
          return;
        }
        if (traffic.length === 0) {
          problem(where, "expectations on traffic check the traffic of their own step; add traffic to this step (or a branch of it) or move expect to the step that sends it");
        } else if (traffic.length > 1) {
          const named = traffic.map((t) => t.id).filter((x): x is string => x !== undefined);
          problem(where, `this step sends traffic ${traffic.length} times; say which with of: <id>${named.length ? ` (ids: ${[...new Set(named)].join(", ")})` : " (give each branch an id)"}`);
        }
      };
      const source = at(ePath);
      const base = (of: string | undefined) => ({ source, ...(of !== undefined ? { of } : {}) });
      for (const key of ASSERTION_KEYS) {
        if (e[key] === undefined) continue;
        const a = normalizeAssertion(e, key, ePath, step);
        rejectVacuous(a, [...ePath, key]);
        checkOf(e.of, a, ePath);
        out.push({ ...a, ...base(e.of) } as Expectation);
      }
      for (const temporal of ["eventually", "consistently"] as const) {
        const t = e[temporal];
        if (!t) continue;
        const tPath = [...ePath, temporal];
        // accessLog is never inside (the schema keeps it out), so it is never found here.
        const keys = ASSERTION_KEYS.filter((k) => (t as RawAssertions)[k] !== undefined);
        if (keys.length !== 1) {
          problem(tPath, `${temporal} wraps exactly one assertion (${TEMPORAL_KEYS.join(", ")})${keys.length ? `, found ${keys.join(", ")}` : ""}`);
          continue;
        }
        if (WHOLE_TRAFFIC_KEYS.includes(keys[0]!)) {
          problem([...tPath, keys[0]!], `${keys[0]} is judged over the whole traffic action, not per second; write it without ${temporal}`);
          continue;
        }
        const inner = normalizeAssertion(t, keys[0]!, tPath, step);
        rejectVacuous(inner, [...tPath, keys[0]!]);
        const of = t.of ?? e.of;
        checkOf(of, inner, t.of !== undefined ? tPath : ePath);
        if (temporal === "eventually") {
          const within = t as { within: string };
          out.push({ kind: "eventually", withinMs: duration([...tPath, "within"], within.within, 0), inner, ...base(of) });
        } else {
          const forText = (t as { for?: string }).for;
          out.push({ kind: "consistently", ...(forText !== undefined ? { forMs: duration([...tPath, "for"], forText, 0) } : {}), inner, ...base(of) });
        }
      }
    });
    return out;
  }

  function rejectVacuous(assertion: Assertion, path: FieldPath): void {
    const vacuous = vacuousCheck(assertion);
    if (vacuous) problem(vacuous.field !== undefined ? [...path, vacuous.field] : path, `this check cannot fail: ${vacuous.reason}`);
  }

  return { normalizeExpectations };
}
