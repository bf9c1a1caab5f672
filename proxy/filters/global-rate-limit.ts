import type { GlobalRateLimitConfig } from "../config/types.ts";
import { compileAttributeMatch } from "../route/attribute-matcher.ts";
import type { StatsStore } from "../stats/stats.ts";
import type { RequestContext, RequestFilter } from "./filter.ts";
import type { RateLimitClient, RateLimitClients, RateLimitCode } from "./rate-limit-client.ts";

/** Envoy's ratelimit filter stats, plus `skipped` for requests that produced no descriptor. */
export const GLOBAL_RATE_LIMIT_STATS = ["ok", "over_limit", "error", "failure_mode_allowed", "skipped"] as const;

export interface GlobalRateLimitDeps {
  /** Address of the rate-limit service: the first endpoint of its cluster. */
  resolve(clusterName: string): { host: string; port: number } | undefined;
  stats: StatsStore;
  /** The proxy's clients of rate-limit services, by address. */
  rateLimitClients: RateLimitClients;
  /** Stats prefix of the owner, e.g. `listener.<name>`; counters go under `<prefix>.global_rate_limit.`. */
  prefix: string;
}

/**
 * Aeraki's global rate limit: each request (matching `config.match`, when set) is checked with
 * an `envoy.service.ratelimit.v3` service, with one descriptor whose entries take their values
 * from the request's metadata. As in Envoy, a request for which an entry has no value sends no
 * descriptor, so it is not checked (counted as `skipped`). The filter stops the chain while the
 * service answers, then resumes on OK and replies `rate_limited` on OVER_LIMIT. When the
 * service fails, cannot be resolved or answers later than `timeoutMs`, the request is denied
 * with `denyOnFail` (Envoy's failure_mode_deny) and allowed otherwise.
 */
export function createGlobalRateLimitFilter(config: GlobalRateLimitConfig, deps: GlobalRateLimitDeps): RequestFilter {
  const stats = deps.stats.scope(`${deps.prefix}.global_rate_limit`, GLOBAL_RATE_LIMIT_STATS);
  const predicates = (config.match ?? []).map(compileAttributeMatch);
  const descriptors = config.descriptors;
  const overLimitText = `over the global rate limit (domain ${config.domain})`;

  // The resolved address changes only with EDS updates; keep the client until it does.
  let client: RateLimitClient | undefined;
  let clientHost = "";
  let clientPort = 0;

  function currentClient(): RateLimitClient | undefined {
    const endpoint = deps.resolve(config.rateLimitServiceCluster);
    if (endpoint === undefined) return undefined;
    if (client === undefined || endpoint.host !== clientHost || endpoint.port !== clientPort) {
      clientHost = endpoint.host;
      clientPort = endpoint.port;
      client = deps.rateLimitClients.get(`${clientHost}:${clientPort}`);
    }
    return client;
  }

  /** Counts a failure; answers locally when denying. Returns whether the request was answered. */
  function failed(ctx: RequestContext, reason: string): boolean {
    stats.inc("error");
    if (!config.denyOnFail) {
      stats.inc("failure_mode_allowed");
      return false;
    }
    if (!ctx.downstreamClosed) ctx.reply("rate_limited", `rate-limit service failed (${reason}); request denied`);
    return true;
  }

  function complete(ctx: RequestContext, result: RateLimitCode | unknown): void {
    if (result === "OK") {
      stats.inc("ok");
      if (!ctx.downstreamClosed) ctx.resume();
    } else if (result === "OVER_LIMIT") {
      stats.inc("over_limit");
      if (!ctx.downstreamClosed) ctx.reply("rate_limited", overLimitText);
    } else if (!failed(ctx, result instanceof Error ? result.message : String(result)) && !ctx.downstreamClosed) {
      ctx.resume();
    }
  }

  return {
    name: "global_rate_limit",
    onRequest(ctx: RequestContext) {
      const metadata = ctx.metadata;
      for (const matches of predicates) if (!matches(metadata)) return "continue";
      if (descriptors.length === 0) {
        stats.inc("skipped");
        return "continue";
      }
      const entries = new Array<{ key: string; value: string }>(descriptors.length);
      for (let i = 0; i < descriptors.length; i++) {
        const d = descriptors[i]!;
        const value = metadata.get(d.property);
        if (value === undefined) {
          stats.inc("skipped");
          return "continue";
        }
        entries[i] = { key: d.key, value };
      }
      const service = currentClient();
      if (service === undefined) {
        return failed(ctx, `no endpoint for cluster ${config.rateLimitServiceCluster}`) ? "stop" : "continue";
      }
      const done = (result: unknown) => complete(ctx, result);
      service.shouldRateLimit({ domain: config.domain, descriptors: [{ entries }] }, config.timeoutMs).then(done, done);
      return "stop";
    },
  };
}
