import { ACCESS_LOG_FIELDS } from "../../assert/access-log.ts";
import type { FieldPath } from "../../../common/yaml-source.ts";
import { parseLatencyStat, parseThreshold, ThresholdSyntaxError, type Threshold, type ThresholdStat } from "../../assert/thresholds.ts";
import { closest } from "../suggest.ts";
import { DEFAULTS, type Assertion, type CountRange, type AccessLogCondition, type Step } from "../types.ts";
import type { RawCount, RawAccessLog, RawAssertions } from "./raw-shape.ts";
import { type ASSERTION_KEYS, SHARE_SUM_SLACK } from "./raw-shape.ts";
import { round } from "./helpers.ts";
import { firstService, keyedTraffic, stepNamesUnder, trafficIn } from "./step-tree.ts";
import type { TopologyContext } from "./context.ts";

import type { metricNormalizers } from "./metric.ts";

/** One assertion of an expectation, by kind. `steps` holds the top-level steps normalized so far (sameAs, over). */
export function assertionNormalizers(ctx: TopologyContext & ReturnType<typeof metricNormalizers> & { steps: readonly Step[] }) {
  const { steps, problem, duration, sidecarClients, checkInstance, normalizeMetric } = ctx;
  function normalizeAffinity(raw: NonNullable<RawAssertions["affinity"]>, path: FieldPath, step: Step): Assertion {
    const a = raw === true ? {} : raw;
    if (!keyedTraffic(step)) problem(path, "affinity reads responses per request key: give this step's traffic keys: {header, count}");
    if (a.sameAs !== undefined) {
      const earlier = steps.find((s) => s.name === a.sameAs);
      if (!earlier) {
        const names = steps.map((s) => s.name);
        const guess = closest(a.sameAs, names);
        problem([...path, "sameAs"], `no top-level step named "${a.sameAs}" runs before this one${guess ? `; did you mean "${guess}"?` : names.length ? ` (earlier steps: ${names.join(", ")})` : ""}`);
      } else if (!keyedTraffic(earlier)) {
        problem([...path, "sameAs"], `step "${a.sameAs}" sends no traffic with keys to compare with`);
      }
    } else if (a.except !== undefined) {
      problem([...path, "except"], "except lists instances that left since the step named by sameAs; add sameAs");
    }
    (a.except ?? []).forEach((name, k) => checkInstance(name, [...path, "except", k]));
    return { kind: "affinity", ...(a.sameAs !== undefined ? { sameAs: a.sameAs } : {}), except: a.except ?? [] };
  }

  function normalizeAddedLatency(a: NonNullable<RawAssertions["addedLatency"]>, path: FieldPath): Assertion {
    const earlier = steps.find((s) => s.name === a.over);
    if (!earlier) {
      const names = steps.map((s) => s.name);
      const guess = closest(a.over, names);
      problem([...path, "over"], `no top-level step named "${a.over}" runs before this one${guess ? `; did you mean "${guess}"?` : names.length ? ` (earlier steps: ${names.join(", ")})` : ""}`);
    } else if (trafficIn(earlier, undefined).length !== 1) {
      problem([...path, "over"], `step "${a.over}" must send traffic exactly once to serve as the baseline (it sends ${trafficIn(earlier, undefined).length})`);
    }
    let stat: Exclude<ThresholdStat, "rate"> = "p(50)";
    if (a.stat !== undefined) {
      try {
        stat = parseLatencyStat(a.stat);
      } catch (err) {
        if (!(err instanceof ThresholdSyntaxError)) throw err;
        problem([...path, "stat"], err.message);
      }
    }
    const minMs = a.min !== undefined ? duration([...path, "min"], a.min, 0) : undefined;
    const maxMs = a.max !== undefined ? duration([...path, "max"], a.max, 0) : undefined;
    if (minMs === undefined && maxMs === undefined) problem(path, "give min, max or both: the added latency this traffic must show");
    if (minMs !== undefined && maxMs !== undefined && minMs > maxMs) problem([...path, "min"], `min ${a.min} is larger than max ${a.max}`);
    return { kind: "addedLatency", over: a.over, stat, ...(minMs !== undefined && { minMs }), ...(maxMs !== undefined && { maxMs }) };
  }

  function normalizeAssertion(e: RawAssertions, key: (typeof ASSERTION_KEYS)[number], path: FieldPath, step: Step): Assertion {
    const service = step.traffic?.service ?? firstService(step);
    switch (key) {
      case "successRate":
        return { kind: "successRate", min: typeof e.successRate === "number" ? e.successRate : e.successRate!.min };
      case "distribution": {
        const d = e.distribution!;
        const dPath = [...path, "distribution"];
        const sum = Object.values(d.expected).reduce((a, b) => a + b, 0);
        const expected: Record<string, number> = {};
        if (Math.abs(sum - 1) > SHARE_SUM_SLACK) problem([...dPath, "expected"], `expected shares must sum to 1, they sum to ${round(sum)}`);
        for (const [k, v] of Object.entries(d.expected)) expected[k] = sum > 0 ? v / sum : 0;
        if (d.by === "version" && service) {
          const versions = Object.keys(service.versions);
          for (const k of Object.keys(d.expected)) {
            if (versions.includes(k)) continue;
            const guess = closest(k, versions);
            problem([...dPath, "expected", k], `service ${service.name} has no version "${k}" (versions: ${versions.join(", ")})${guess ? `; did you mean "${guess}"?` : ""}`);
          }
        }
        if (d.exact === true && d.tolerance !== undefined) problem([...dPath, "tolerance"], "exact: true checks every share to within one response; drop the tolerance or the exact");
        // Deterministic routing has no statistical slack unless the scenario asks for some.
        const exact = d.exact === true ? "all" : d.exact === false || d.tolerance !== undefined ? "none" : "zero-one";
        return { kind: "distribution", by: d.by, expected, tolerance: d.tolerance ?? DEFAULTS.tolerance, confidence: d.confidence ?? DEFAULTS.confidence, exact };
      }
      case "thresholds": {
        const thresholds: Threshold[] = [];
        e.thresholds!.forEach((text, k) => {
          try {
            thresholds.push(parseThreshold(text));
          } catch (err) {
            if (!(err instanceof ThresholdSyntaxError)) throw err;
            problem([...path, "thresholds", k], err.message);
          }
        });
        return { kind: "thresholds", thresholds };
      }
      case "errors":
        return { kind: "errors", counts: countRanges(e.errors!, [...path, "errors"]) };
      case "connections":
        return { kind: "connections", counts: countRanges(e.connections!, [...path, "connections"]) };
      case "metric":
        return { kind: "metric", metric: normalizeMetric(e.metric!, [...path, "metric"]) };
      case "affinity":
        return normalizeAffinity(e.affinity!, [...path, "affinity"], step);
      case "addedLatency":
        return normalizeAddedLatency(e.addedLatency!, [...path, "addedLatency"]);
      case "accessLog":
        return { kind: "accessLog", accessLog: normalizeAccessLog(e.accessLog!, [...path, "accessLog"], step) };
    }
  }

  function normalizeAccessLog(a: RawAccessLog, path: FieldPath, step: Step): AccessLogCondition {
    if (!sidecarClients.includes(a.sidecar)) {
      const guess = closest(a.sidecar, sidecarClients);
      problem(
        [...path, "sidecar"],
        `no client named "${a.sidecar}" with a sidecar${guess ? `; did you mean "${guess}"?` : sidecarClients.length ? ` (clients with sidecars: ${sidecarClients.join(", ")})` : ""}`,
      );
    }
    // YAML may give `mirrored: true` or `retries: 0`; lines are compared as text.
    const where = Object.fromEntries(Object.entries(a.where ?? {}).map(([k, v]) => [k, String(v)]));
    for (const field of Object.keys(where)) {
      if (field.startsWith("metadata.") || (ACCESS_LOG_FIELDS as readonly string[]).includes(field)) continue;
      const guess = closest(field, [...ACCESS_LOG_FIELDS]);
      problem([...path, "where", field], `access log lines have no field "${field}" (fields: ${ACCESS_LOG_FIELDS.join(", ")}, metadata.<key>)${guess ? `; did you mean "${guess}"?` : ""}`);
    }
    if (a.after !== undefined) {
      const names = stepNamesUnder(step);
      if (!names.includes(a.after)) {
        const guess = closest(a.after, names);
        problem([...path, "after"], `no step named "${a.after}" inside this step${guess ? `; did you mean "${guess}"?` : names.length ? ` (steps: ${names.join(", ")})` : ""}`);
      }
    }
    return { sidecar: a.sidecar, where, ...(a.after !== undefined && { after: a.after }), op: a.op, value: a.value };
  }

  function countRanges(raw: Record<string, RawCount>, path: FieldPath): Record<string, CountRange> {
    const counts: Record<string, CountRange> = {};
    for (const [kind, c] of Object.entries(raw)) {
      if (typeof c === "number") counts[kind] = { min: c, max: c };
      else {
        if (c.min !== undefined && c.max !== undefined && c.min > c.max) problem([...path, kind], `min ${c.min} is larger than max ${c.max}`);
        counts[kind] = { min: c.min ?? 0, ...(c.max !== undefined ? { max: c.max } : {}) };
      }
    }
    return counts;
  }

  return { normalizeAssertion };
}
