/**
 * Stats of the Redis path, declared once. Listener-level counters reuse PROXY_STATS.listener
 * (`listener.<name>.downstream_rq_total` ...); these are the Redis-specific ones, under
 * `redis.<listener>.` (Envoy's redis_proxy names where Envoy has one). With
 * `enableCommandStats`, each command also counts `redis.<listener>.command.<name>.{total,success,error}`.
 */
export const REDIS_STATS = {
  counters: [
    "downstream_rq_total",
    "downstream_rq_active",
    "downstream_auth_fail",
    "splitter.invalid_request",
    "splitter.unsupported_command",
    "splitter.unknown_command",
    "split_requests",
    "fault_error_injected",
    "fault_delay_injected",
    "mirror_rq_total",
    "mirror_rq_sent",
    "mirror_rq_completed",
    "mirror_rq_failed",
    "upstream_error_reply",
    "moved_followed",
    "ask_followed",
    "redirect_limit",
    "pinned_connections_opened",
    "pinned_connections_reused",
  ],
  gauges: ["downstream_rq_active"],
} as const;

export type RedisStat = (typeof REDIS_STATS.counters)[number];

/** Per Redis upstream cluster, under `redis_cluster.<cluster>.`. */
export const REDIS_CLUSTER_STATS = {
  counters: ["slot_map_refresh", "slot_map_refresh_failure", "role_probe", "upstream_auth_fail", "upstream_op_timeout", "upstream_cx_dedicated"],
  gauges: [],
} as const;

export type RedisClusterStat = (typeof REDIS_CLUSTER_STATS.counters)[number];
