/**
 * Aeraki DubboAuthorizationPolicy (dubbo.aeraki.io/v1alpha1): ALLOW or DENY Dubbo calls by
 * interface and method (and by source identity, which needs mTLS). Every string accepts Istio's
 * forms: "abc" exact, "abc*" prefix, "*abc" suffix, "*" present.
 */
import type { FieldPath } from "../../common/yaml-source.ts";
import type { FieldReader } from "./field-reader.ts";
import type { TypedResource } from "./resource.ts";

export const DUBBO_API_VERSIONS = ["dubbo.aeraki.io/v1alpha1"] as const;

export interface DubboSource {
  principals: string[];
  notPrincipals: string[];
  namespaces: string[];
  notNamespaces: string[];
}

export interface DubboOperation {
  interfaces: string[];
  notInterfaces: string[];
  methods: string[];
  notMethods: string[];
}

export interface DubboRule {
  from: DubboSource[];
  to: DubboOperation[];
}

export interface DubboAuthorizationPolicySpec {
  action: "ALLOW" | "DENY";
  rules: DubboRule[];
}

export type DubboAuthorizationPolicy = TypedResource<"DubboAuthorizationPolicy", DubboAuthorizationPolicySpec>;

function values(raw: Record<string, unknown>, key: string, path: FieldPath, r: FieldReader): string[] {
  return r.stringList(raw[key], [...path, key], false);
}

export function parseDubboAuthorizationPolicySpec(spec: Record<string, unknown>, r: FieldReader): DubboAuthorizationPolicySpec {
  const action = r.oneOf(spec.action ?? "ALLOW", ["spec", "action"], ["ALLOW", "DENY"] as const, true) ?? "ALLOW";
  const rules: DubboRule[] = [];
  (r.array(spec.rules, ["spec", "rules"], false) ?? []).forEach((raw, i) => {
    const path = ["spec", "rules", i];
    const rule = r.object(raw, path, true) ?? {};
    const from: DubboSource[] = [];
    (r.array(rule.from, [...path, "from"], false) ?? []).forEach((f, j) => {
      const sp = [...path, "from", j, "source"];
      const src = r.object(r.object(f, [...path, "from", j], true)?.source, sp, true);
      if (!src) return;
      from.push({
        principals: values(src, "principals", sp, r),
        notPrincipals: values(src, "notPrincipals", sp, r),
        namespaces: values(src, "namespaces", sp, r),
        notNamespaces: values(src, "notNamespaces", sp, r),
      });
    });
    const to: DubboOperation[] = [];
    (r.array(rule.to, [...path, "to"], false) ?? []).forEach((t, j) => {
      const op = [...path, "to", j, "operation"];
      const o = r.object(r.object(t, [...path, "to", j], true)?.operation, op, true);
      if (!o) return;
      to.push({
        interfaces: values(o, "interfaces", op, r),
        notInterfaces: values(o, "notInterfaces", op, r),
        methods: values(o, "methods", op, r),
        notMethods: values(o, "notMethods", op, r),
      });
    });
    rules.push({ from, to });
  });
  return { action, rules };
}
