import type { ListenerConfig } from "../config/types.ts";
import type { StatsStore } from "../stats/stats.ts";
import { AUTHORIZATION_STATS, createAuthorizationFilter } from "./authorization.ts";
import { createFaultFilter, faultStats } from "./fault.ts";
import { createGlobalRateLimitFilter } from "./global-rate-limit.ts";
import type { RequestFilter } from "./filter.ts";
import type { RateLimitClients } from "./rate-limit-client.ts";
import { type RoutableRequest, routerFilter } from "../router/router-filter.ts";
import { LOCAL_RATE_LIMIT_STATS, createLocalRateLimitFilter } from "./local-rate-limit.ts";

export interface FilterChainDeps {
  stats: StatsStore;
  /** Address of a cluster's first endpoint, for side services (global rate limit). */
  resolve(clusterName: string): { host: string; port: number } | undefined;
  rateLimitClients: RateLimitClients;
}

/**
 * A listener's filters in Envoy's order: authorization, local rate limit, global rate limit,
 * fault, then the router. Only configured filters are present, so a plain route costs one filter
 * (fault, a single property check) before the router.
 */
export function buildFilterChain(config: ListenerConfig, deps: FilterChainDeps): RequestFilter<RoutableRequest>[] {
  const prefix = `listener.${config.name}`;
  const filters: RequestFilter<RoutableRequest>[] = [];
  if (config.authorization && config.authorization.length > 0) {
    filters.push(createAuthorizationFilter(config.authorization, deps.stats.scope(`${prefix}.authorization`, AUTHORIZATION_STATS)));
  }
  if (config.localRateLimit) {
    filters.push(createLocalRateLimitFilter(config.localRateLimit, deps.stats.scope(`${prefix}.local_rate_limit`, LOCAL_RATE_LIMIT_STATS)));
  }
  if (config.globalRateLimit) {
    filters.push(createGlobalRateLimitFilter(config.globalRateLimit, { resolve: deps.resolve, stats: deps.stats, rateLimitClients: deps.rateLimitClients, prefix }));
  }
  filters.push(createFaultFilter(faultStats(deps.stats, config.name)));
  filters.push(routerFilter);
  return filters;
}
