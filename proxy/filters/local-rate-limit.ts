import type { LocalRateLimitConfig } from "../config/types.ts";
import { compileAttributeMatch, type MetadataPredicate } from "../route/attribute-matcher.ts";
import type { StatScope } from "../stats/stats.ts";
import type { RequestContext, RequestFilter } from "./filter.ts";
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
      let bucket = fallback;
      for (const c of conditions) {
        if (c.predicates.every((p) => p(ctx.metadata))) {
          bucket = c.bucket;
          break;
        }
      }
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
