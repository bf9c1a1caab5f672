import type { AuthorizationPolicy } from "../config/types.ts";
import { compileAttributeMatch, type MetadataPredicate } from "../route/attribute-matcher.ts";
import type { StatScope } from "../stats/stats.ts";
import type { RequestContext, RequestFilter } from "./filter.ts";
import type { Metadata } from "../codec/codec.ts";

export const AUTHORIZATION_STATS = ["allowed", "denied"] as const;
type Stat = (typeof AUTHORIZATION_STATS)[number];

export interface CompiledPolicy {
  name: string;
  action: "ALLOW" | "DENY";
  rules: MetadataPredicate[][];
}

/**
 * Istio's evaluation order: any matching DENY policy denies; then, if ALLOW policies exist, the
 * request must match one of them; otherwise it is allowed. Denied requests get an error reply.
 */
export function createAuthorizationFilter(policies: ReadonlyArray<AuthorizationPolicy>, stats: StatScope<Stat>): RequestFilter {
  const compiled = compileAuthorization(policies);
  return {
    name: "authorization",
    onRequest(ctx) {
      const decision = authorize(compiled, ctx.metadata);
      if (!decision.allowed) return deny(ctx, decision.reason);
      stats.inc("allowed");
      return "continue";
    },
  };

  function deny(ctx: RequestContext, why: string) {
    stats.inc("denied");
    ctx.reply("unauthorized", why);
    return "stop" as const;
  }
}

export function compileAuthorization(policies: ReadonlyArray<AuthorizationPolicy>): CompiledPolicy[] {
  return policies.map((p) => ({ name: p.name, action: p.action, rules: p.rules.map((r) => r.map(compileAttributeMatch)) }));
}

/** The decision for one request, and the policy that made it (none when no ALLOW policy matched or none exist). */
export function authorize(compiled: ReadonlyArray<CompiledPolicy>, metadata: Metadata): { allowed: boolean; reason: string; policy?: string } {
  const matches = (p: CompiledPolicy) => p.rules.some((rule) => rule.every((m) => m(metadata)));
  const denied = compiled.find((p) => p.action === "DENY" && matches(p));
  if (denied) return { allowed: false, reason: `denied by policy ${denied.name}`, policy: denied.name };
  const allows = compiled.filter((p) => p.action === "ALLOW");
  if (allows.length === 0) return { allowed: true, reason: "no ALLOW policy, and no DENY policy matches" };
  const allowed = allows.find(matches);
  return allowed ? { allowed: true, reason: `allowed by policy ${allowed.name}`, policy: allowed.name } : { allowed: false, reason: "no ALLOW policy matches" };
}
