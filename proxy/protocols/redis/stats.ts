/**
 * Stats of the Redis path, declared once. What every protocol counts stays under the generic
 * names: `listener.<name>.*` (PROXY_STATS.listener), `listener.<name>.fault.*` (FAULT_STATS) and
 * the mirror's `cluster.<name>.mirror_rq_*`. These are the Redis-specific ones, under
 * `redis.<listener>.` (Envoy's redis_proxy names where Envoy has one). With `enableCommandStats`,
 * each command also counts `redis.<listener>.command.<name>.{total,success,error}`.
 */
export const REDIS_STATS = {
  counters: [
    "downstream_rq_total",
    "downstream_auth_fail",
    "splitter.invalid_request",
    "splitter.unsupported_command",
    "splitter.unknown_command",
    "split_requests",
    "moved_followed",
    "ask_followed",
    "redirect_limit",
    "pinned_connections_opened",
    "pinned_connections_reused",
  ],
} as const;

export type RedisStat = (typeof REDIS_STATS.counters)[number];

/** Per Redis upstream cluster, under `redis_cluster.<cluster>.`. */
export const REDIS_CLUSTER_STATS = {
  counters: ["slot_map_refresh", "slot_map_refresh_failure", "role_probe", "upstream_auth_fail", "upstream_op_timeout", "upstream_cx_dedicated"],
  gauges: [],
} as const;

export type RedisClusterStat = (typeof REDIS_CLUSTER_STATS.counters)[number];
