/**
 * DubboAuthorizationPolicy → authorization policies on Dubbo listeners. A policy applies to the
 * Dubbo services in its own namespace, or to every Dubbo service when it lives in the root
 * namespace (istio-system). Each rule becomes the cross product of its sources and operations
 * (any source AND any operation), each value a matcher on the metadata keys `interface`,
 * `method`, `source.principal` and `source.namespace`. Istio's value forms map to matchers:
 * "abc" exact, "abc*" prefix, "*abc" suffix (regex), "*" present; `not*` lists become one
 * negative-lookahead regex.
 */
import type { DubboAuthorizationPolicy, DubboOperation, DubboSource } from "../resources/dubbo-authorization-policy.ts";
import type { Resource } from "../resources/kinds.ts";
import type { EnvoyHeaderMatcher } from "./envoy-types.ts";

export const ROOT_NAMESPACE = "istio-system";

export interface AuthorizationPolicyJson {
  name: string;
  action: "ALLOW" | "DENY";
  rules: EnvoyHeaderMatcher[][];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function valueMatcher(name: string, v: string): EnvoyHeaderMatcher {
  if (v === "*") return { name, present_match: true };
  if (v.endsWith("*")) return { name, string_match: { prefix: v.slice(0, -1) } };
  if (v.startsWith("*")) return { name, string_match: { safe_regex: { regex: `.*${escape(v.slice(1))}` } } };
  return { name, string_match: { exact: v } };
}

function notMatcher(name: string, values: readonly string[]): EnvoyHeaderMatcher {
  const alts = values.map((v) => (v === "*" ? ".*" : v.endsWith("*") ? `${escape(v.slice(0, -1))}.*` : v.startsWith("*") ? `.*${escape(v.slice(1))}` : escape(v)));
  return { name, string_match: { safe_regex: { regex: `(?!(?:${alts.join("|")})$).*` } } };
}

/** Alternatives (OR) for one attribute: a list of matchers, any of which may hold; [] = no constraint. */
function alternatives(name: string, values: readonly string[], not: readonly string[]): EnvoyHeaderMatcher[][] {
  const pos = values.length > 0 ? values.map((v) => [valueMatcher(name, v)]) : [[]];
  return not.length > 0 ? pos.map((m) => [...m, notMatcher(name, not)]) : pos;
}

function cross(a: EnvoyHeaderMatcher[][], b: EnvoyHeaderMatcher[][]): EnvoyHeaderMatcher[][] {
  return a.flatMap((x) => b.map((y) => [...x, ...y]));
}

function sourceAlternatives(s: DubboSource): EnvoyHeaderMatcher[][] {
  return cross(alternatives("source.principal", s.principals, s.notPrincipals), alternatives("source.namespace", s.namespaces, s.notNamespaces));
}

function operationAlternatives(o: DubboOperation): EnvoyHeaderMatcher[][] {
  return cross(alternatives("interface", o.interfaces, o.notInterfaces), alternatives("method", o.methods, o.notMethods));
}

export function authorizationPolicy(p: DubboAuthorizationPolicy): AuthorizationPolicyJson {
  const rules = p.spec.rules.flatMap((rule) => {
    const from = rule.from.length > 0 ? rule.from.flatMap(sourceAlternatives) : [[]];
    const to = rule.to.length > 0 ? rule.to.flatMap(operationAlternatives) : [[]];
    return cross(from, to);
  });
  return { name: `${p.metadata.namespace}/${p.metadata.name}`, action: p.spec.action, rules };
}

/** The policies for a Dubbo service in `namespace`, in resource order. */
export function authorizationFor(resources: readonly Resource[], namespace: string): AuthorizationPolicyJson[] {
  return resources
    .filter((r): r is DubboAuthorizationPolicy => r.kind === "DubboAuthorizationPolicy")
    .filter((r) => r.metadata.namespace === namespace || r.metadata.namespace === ROOT_NAMESPACE)
    .map(authorizationPolicy);
}
