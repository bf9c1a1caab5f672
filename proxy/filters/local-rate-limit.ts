import type { LocalRateLimitConfig } from "../config/types.ts";
import { compileAttributeMatch, type MetadataPredicate } from "../route/attribute-matcher.ts";
import type { StatScope } from "../stats/stats.ts";
import type { RequestContext, RequestFilter } from "./filter.ts";
import type { Metadata } from "../codec/codec.ts";
import { TokenBucket } from "./token-bucket.ts";

export const LOCAL_RATE_LIMIT_STATS = ["ok", "rate_limited", "no_bucket"] as const;
type Stat = (typeof LOCAL_RATE_LIMIT_STATS)[number];

/**
 * Aeraki's local rate limit: conditions are tried in order and the first whose matchers all hold
 * takes from its own bucket; a request no condition matches takes from the default bucket, or
 * passes when there is none. Buckets are shared by every connection of the listener.
 */
export function createLocalRateLimitFilter(config: LocalRateLimitConfig, stats: StatScope<Stat>): RequestFilter {
  const conditions = config.conditions.map((c) => ({
    predicates: c.match.map(compileAttributeMatch) as MetadataPredicate[],
    bucket: new TokenBucket(c.tokenBucket),
  }));
  const fallback = config.tokenBucket ? new TokenBucket(config.tokenBucket) : undefined;
  return {
    name: "local_rate_limit",
    onRequest(ctx: RequestContext) {
      const i = firstMatchingCondition(conditions, ctx.metadata);
      const bucket = i >= 0 ? conditions[i]!.bucket : fallback;
      if (bucket === undefined) {
        stats.inc("no_bucket");
        return "continue";
      }
      if (bucket.tryTake()) {
        stats.inc("ok");
        return "continue";
      }
      stats.inc("rate_limited");
      ctx.reply("rate_limited", "local rate limit exceeded");
      return "stop";
    },
  };
}

/** The index of the first condition whose matchers all hold, or -1 (the default bucket's requests). */
export function firstMatchingCondition(conditions: ReadonlyArray<{ predicates: ReadonlyArray<MetadataPredicate> }>, metadata: Metadata): number {
  return conditions.findIndex((c) => c.predicates.every((p) => p(metadata)));
}
