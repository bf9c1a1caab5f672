/**
 * meshsim extension to MetaRouter: per-route timeout, retries and fault injection, which Aeraki
 * does not have for meta protocols. They live in one annotation so that the MetaRouter stays
 * valid for Aeraki (its CRD prunes unknown spec fields); see docs/extensions.md.
 *
 *   metadata:
 *     annotations:
 *       meshsim.dev/route-policies: |
 *         <route name>:
 *           timeout: 2s
 *           retries: { attempts: 3, perTryTimeout: 500ms, retryOn: [connect-failure, reset], budget: 0.2 }
 *           fault:
 *             abort: { errorKind: upstream_failure, message: injected, percentage: 10 }
 *             delay: { fixedDelay: 100ms, percentage: 50 }
 *
 * Problems inside the annotation name the line inside the block, counted in the file.
 */
import type { FieldPath } from "../../common/yaml-source.ts";
import { parseYamlDocuments, YamlSyntaxError } from "../../common/yaml-source.ts";
import { FieldReader } from "./field-reader.ts";
import type { ResourceSource } from "./resource.ts";

export const ROUTE_POLICIES_ANNOTATION = "meshsim.dev/route-policies";

export const RETRY_ON = ["connect-failure", "reset", "error-reply", "timeout"] as const;
export type RetryOn = (typeof RETRY_ON)[number];

/** The proxy's local error kinds a fault may answer with. */
export const FAULT_ERROR_KINDS = ["no_route", "no_cluster", "no_healthy_endpoint", "upstream_failure", "timeout", "rate_limited", "fault_abort", "overflow"] as const;

export interface RoutePolicy {
  timeoutMs?: number;
  retries?: { attempts: number; perTryTimeoutMs?: number; retryOn: RetryOn[]; budget?: number };
  fault?: {
    abort?: { percentage: number; errorKind: string; message?: string };
    delay?: { percentage: number; fixedDelayMs: number };
  };
}

type PolicyField = "timeout" | "retries" | "fault";

/** Where each parsed policy and each of its fields was written (file and 1-based line), for `meshsim explain`. */
const POLICY_LOCATIONS = new WeakMap<RoutePolicy, { file: string; line: number; fields: Partial<Record<PolicyField, number>> }>();

export function routePolicyLocation(policy: RoutePolicy, field?: PolicyField): { file: string; line: number } | undefined {
  const at = POLICY_LOCATIONS.get(policy);
  if (!at) return undefined;
  return { file: at.file, line: (field && at.fields[field]) ?? at.line };
}

const BASE: FieldPath = ["metadata", "annotations", ROUTE_POLICIES_ANNOTATION];

/** A source that locates paths under the annotation inside its own text, shifted to the file's lines. */
function nestedSource(outer: ResourceSource, inner: { locate(path: FieldPath): { line: number; column: number } }, firstLine: number): ResourceSource {
  return {
    file: outer.file,
    locate(path) {
      const under = BASE.every((p, i) => path[i] === p) && path.length > BASE.length;
      if (!under) return outer.locate(path);
      const pos = inner.locate(path.slice(BASE.length));
      return { line: firstLine + pos.line - 1, column: pos.column };
    },
  };
}

/** Route name → policy, with a reader that locates problems inside the annotation. */
export function parseRoutePolicies(annotations: Record<string, string>, outer: FieldReader): Map<string, { policy: RoutePolicy; path: FieldPath; reader: FieldReader }> {
  const out = new Map<string, { policy: RoutePolicy; path: FieldPath; reader: FieldReader }>();
  const text = annotations[ROUTE_POLICIES_ANNOTATION];
  if (text === undefined) return out;
  const at = outer.source.locate(BASE);
  // A block scalar (`|`) starts on the line after the key; a flow string on the key's line.
  const firstLine = text.includes("\n") ? at.line + 1 : at.line;
  let docs: ReturnType<typeof parseYamlDocuments>;
  try {
    docs = parseYamlDocuments(text, outer.source.file);
  } catch (err) {
    if (!(err instanceof YamlSyntaxError)) throw err;
    outer.problems.push({
      file: outer.source.file,
      line: firstLine + err.line - 1,
      column: err.column,
      resource: outer.resource,
      path: `metadata.annotations.${ROUTE_POLICIES_ANNOTATION}`,
      message: err.reason,
    });
    return out;
  }
  const doc = docs[0];
  if (!doc) return out;
  const r = new FieldReader(nestedSource(outer.source, doc, firstLine), outer.resource, outer.problems);
  const root = r.object(doc.value, BASE, true);
  for (const [routeName, raw] of Object.entries(root ?? {})) {
    const path = [...BASE, routeName];
    const p = r.object(raw, path, true);
    if (!p) continue;
    const policy: RoutePolicy = {};
    const timeoutMs = r.duration(p.timeout, [...path, "timeout"], false);
    if (timeoutMs !== undefined) policy.timeoutMs = timeoutMs;
    const retries = r.object(p.retries, [...path, "retries"], false);
    if (retries) {
      const rp = [...path, "retries"];
      const attempts = r.integer(retries.attempts, [...rp, "attempts"], true, 1, 100);
      const perTryTimeoutMs = r.duration(retries.perTryTimeout, [...rp, "perTryTimeout"], false);
      const retryOn: RetryOn[] = retries.retryOn === undefined ? ["connect-failure", "reset"] : [];
      if (retries.retryOn !== undefined) {
        (r.array(retries.retryOn, [...rp, "retryOn"], true) ?? []).forEach((v, i) => {
          const on = r.oneOf(v, [...rp, "retryOn", i], RETRY_ON, true);
          if (on) retryOn.push(on);
        });
      }
      const budget = r.number(retries.budget, [...rp, "budget"], false, 0, 1);
      if (attempts !== undefined) {
        policy.retries = {
          attempts,
          retryOn,
          ...(perTryTimeoutMs !== undefined && { perTryTimeoutMs }),
          ...(budget !== undefined && { budget }),
        };
      }
      if (perTryTimeoutMs !== undefined && timeoutMs !== undefined && perTryTimeoutMs > timeoutMs) {
        r.problem([...rp, "perTryTimeout"], `is longer than the route timeout (${timeoutMs} ms)`);
      }
    }
    const fault = r.object(p.fault, [...path, "fault"], false);
    if (fault) {
      const fp = [...path, "fault"];
      policy.fault = {};
      const abort = r.object(fault.abort, [...fp, "abort"], false);
      if (abort) {
        const errorKind = r.oneOf(abort.errorKind, [...fp, "abort", "errorKind"], FAULT_ERROR_KINDS, true);
        const message = r.string(abort.message, [...fp, "abort", "message"], false);
        const percentage = r.number(abort.percentage, [...fp, "abort", "percentage"], false, 0, 100, true) ?? 100;
        if (errorKind) policy.fault.abort = { percentage, errorKind, ...(message !== undefined && { message }) };
      }
      const delay = r.object(fault.delay, [...fp, "delay"], false);
      if (delay) {
        const fixedDelayMs = r.duration(delay.fixedDelay, [...fp, "delay", "fixedDelay"], true);
        const percentage = r.number(delay.percentage, [...fp, "delay", "percentage"], false, 0, 100, true) ?? 100;
        if (fixedDelayMs !== undefined) policy.fault.delay = { percentage, fixedDelayMs };
      }
      if (!abort && !delay) r.problem(fp, "needs abort or delay");
    }
    const fields: Partial<Record<PolicyField, number>> = {};
    for (const f of ["timeout", "retries", "fault"] as const) if (p[f] !== undefined) fields[f] = r.source.locate([...path, f]).line;
    POLICY_LOCATIONS.set(policy, { file: r.source.file, line: r.source.locate(path).line, fields });
    out.set(routeName, { policy, path, reader: r });
  }
  return out;
}
