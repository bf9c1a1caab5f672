import type { AuthorizationPolicy } from "../config/types.ts";
import { compileAttributeMatch, type MetadataPredicate } from "../route/attribute-matcher.ts";
import type { StatScope } from "../stats/stats.ts";
import type { RequestContext, RequestFilter } from "./filter.ts";

export const AUTHORIZATION_STATS = ["allowed", "denied"] as const;
type Stat = (typeof AUTHORIZATION_STATS)[number];

interface CompiledPolicy {
  name: string;
  action: "ALLOW" | "DENY";
  rules: MetadataPredicate[][];
}

/**
 * Istio's evaluation order: any matching DENY policy denies; then, if ALLOW policies exist, the
 * request must match one of them; otherwise it is allowed. Denied requests get an error reply.
 */
export function createAuthorizationFilter(policies: ReadonlyArray<AuthorizationPolicy>, stats: StatScope<Stat>): RequestFilter {
  const compiled: CompiledPolicy[] = policies.map((p) => ({ name: p.name, action: p.action, rules: p.rules.map((r) => r.map(compileAttributeMatch)) }));
  const denies = compiled.filter((p) => p.action === "DENY");
  const allows = compiled.filter((p) => p.action === "ALLOW");
  const matches = (p: CompiledPolicy, ctx: RequestContext) => p.rules.some((rule) => rule.every((m) => m(ctx.metadata)));
  return {
    name: "authorization",
    onRequest(ctx) {
      const denied = denies.find((p) => matches(p, ctx));
      if (denied) return deny(ctx, `denied by policy ${denied.name}`);
      if (allows.length > 0 && !allows.some((p) => matches(p, ctx))) return deny(ctx, "no ALLOW policy matches");
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
