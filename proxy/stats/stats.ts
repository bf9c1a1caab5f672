/**
 * Counters and gauges kept as flat numbers in a Map keyed by their full name, so that the hot
 * path only does a Map lookup and an add. Names follow Envoy's dotted style
 * (`listener.<name>.downstream_rq_total`); scenario assertions use the same names.
 */
export const PROXY_STATS = {
  listener: [
    "downstream_cx_total",
    "downstream_cx_active",
    "downstream_cx_destroy_local",
    "downstream_cx_protocol_error",
    "downstream_cx_destroy_remote_active_rq",
    "downstream_rq_total",
    "downstream_rq_oneway",
    "downstream_rq_too_large",
    "local_reply_no_route",
    "local_reply_no_cluster",
    "local_reply_no_healthy_endpoint",
    "local_reply_upstream_failure",
    "local_reply_timeout",
    "local_reply_overflow",
    "local_reply_rate_limited",
    "local_reply_fault_abort",
    "local_reply_unauthorized",
    "downstream_heartbeat",
    "downstream_flow_control_paused_reading_total",
    "downstream_flow_control_resumed_reading_total",
  ],
  listenerGauges: ["downstream_cx_active"],
  cluster: [
    "upstream_cx_total",
    "upstream_cx_active",
    "upstream_cx_connect_fail",
    "upstream_cx_destroy_remote",
    "upstream_cx_protocol_error",
    "upstream_rq_total",
    "upstream_rq_completed",
    "upstream_rq_pending_failure",
    "upstream_rq_orphaned",
    "upstream_rq_active",
    "upstream_rq_timeout",
    "upstream_rq_cancelled",
    "upstream_rq_retry",
    "upstream_rq_retry_overflow",
    "upstream_rq_retry_success",
    "upstream_rq_pending_overflow",
    "upstream_cx_overflow",
    "outlier_detection_ejections",
    "mirror_rq_total",
    "mirror_rq_sent",
    "mirror_rq_completed",
    "mirror_rq_failed",
    "upstream_heartbeat",
  ],
  clusterGauges: ["upstream_cx_active", "upstream_rq_active"],
} as const;

export type ListenerStat = (typeof PROXY_STATS.listener)[number];
export type ClusterStat = (typeof PROXY_STATS.cluster)[number];

export class StatsStore {
  private readonly values = new Map<string, number>();
  private readonly gauges = new Set<string>();
  /** Counters computed when read (summed from live objects) instead of counted on the hot path. */
  private readonly providers: Array<() => Iterable<[string, number]>> = [];

  addProvider(provider: () => Iterable<[string, number]>): void {
    this.providers.push(provider);
  }

  /** A handle for one scope; declares every stat of that scope at zero so it shows in dumps. */
  scope<S extends string>(prefix: string, names: ReadonlyArray<S>, gauges: ReadonlyArray<S> = []): StatScope<S> {
    for (const n of names) {
      const key = `${prefix}.${n}`;
      if (!this.values.has(key)) this.values.set(key, 0);
    }
    for (const g of gauges) this.gauges.add(`${prefix}.${g}`);
    return new StatScope<S>(this.values, prefix);
  }

  get(name: string): number {
    return this.values.get(name) ?? this.provided().get(name) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.entries());
  }

  private provided(): Map<string, number> {
    const out = new Map<string, number>();
    for (const p of this.providers) for (const [k, v] of p()) out.set(k, (out.get(k) ?? 0) + v);
    return out;
  }

  private entries(): Array<[string, number]> {
    return [...this.values.entries(), ...this.provided().entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  }

  /** Prometheus text exposition; dots and pipes become underscores as Envoy does. */
  prometheus(): string {
    const lines: string[] = [];
    for (const [name, value] of this.entries()) {
      const metric = `meshsim_${name.replace(/[^a-zA-Z0-9_]/g, "_")}`;
      lines.push(`# TYPE ${metric} ${this.gauges.has(name) ? "gauge" : "counter"}`, `${metric} ${value}`);
    }
    return `${lines.join("\n")}\n`;
  }
}

export class StatScope<S extends string> {
  private readonly keys = new Map<string, string>();

  constructor(
    private readonly values: Map<string, number>,
    readonly prefix: string,
  ) {}

  inc(name: S, by = 1): void {
    const key = this.key(name);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  dec(name: S): void {
    this.inc(name, -1);
  }

  get(name: S): number {
    return this.values.get(this.key(name)) ?? 0;
  }

  private key(name: string): string {
    let k = this.keys.get(name);
    if (k === undefined) {
      k = `${this.prefix}.${name}`;
      this.keys.set(name, k);
    }
    return k;
  }
}
