import type { RedisListenerConfig } from "../../config/types.ts";
import type { ListenerContext } from "../../core/listener-context.ts";
import { type FaultStat, faultStats } from "../../filters/fault.ts";
import type { StatScope, StatsStore } from "../../stats/stats.ts";
import { RedisRouter } from "./router.ts";
import { REDIS_CLUSTER_STATS, REDIS_STATS, type RedisStat } from "./stats.ts";
import { TurnCounter } from "./turn-counter.ts";
import { RedisUpstreamCluster, type RedisUpstreamSettings } from "./upstream-cluster.ts";

/**
 * Envoy's redis_proxy defaults (no routes, no faults, MASTER reads, hash tags on). A RedisService
 * listener with no `redis` block sends everything to the route configuration's name as a cluster.
 */
export const DEFAULT_REDIS_LISTENER: RedisListenerConfig = {
  routes: [],
  caseInsensitive: false,
  opTimeoutMs: 5000,
  enableCommandStats: false,
  maxBufferSizeBeforeFlush: 0,
  bufferFlushTimeoutMs: 3,
  enableHashtagging: true,
  enableRedirection: false,
  readPolicy: "MASTER",
  faults: [],
};

/**
 * What every client connection of one Redis listener shares: the compiled routes (rebuilt when
 * the listener's config is swapped under live connections), the upstream connection pools per
 * cluster, and the stats.
 */
export class RedisListenerState {
  router: RedisRouter;
  readonly settings: RedisUpstreamSettings;
  readonly stats: StatScope<RedisStat>;
  /** `listener.<name>.fault.*`, as the generic path's fault filter counts them. */
  readonly faults: StatScope<FaultStat>;
  readonly commandStats: StatScope<string>;
  /** downstream_rq_total, under redis.<listener> and listener.<listener>. */
  readonly requests = new TurnCounter((n) => {
    this.stats.inc("downstream_rq_total", n);
    this.context.stats.inc("downstream_rq_total", n);
  });
  // The last cluster looked up, which is nearly always the next one too.
  private lastCluster: unknown = null;
  private lastUpstream: RedisUpstreamCluster | null = null;
  private readonly upstreams = new Map<string, RedisUpstreamCluster>();
  private nextId = 1;

  constructor(
    readonly context: ListenerContext,
    private readonly store: StatsStore,
  ) {
    this.router = new RedisRouter(this.configOf());
    this.settings = { opTimeoutMs: 0, maxBufferSizeBeforeFlush: 0, bufferFlushTimeoutMs: 0, readPolicy: "MASTER", enableHashtagging: true };
    this.applySettings();
    const prefix = `redis.${context.config.name}`;
    this.stats = store.scope(prefix, REDIS_STATS.counters);
    this.faults = faultStats(store, context.config.name);
    this.commandStats = store.scope(`${prefix}.command`, []);
  }

  connectionId(): number {
    return this.nextId++;
  }

  /** Picks up a swapped listener config; cheap when nothing changed. */
  refresh(): RedisRouter {
    const config = this.context.config.redis ?? this.router.config;
    if (config !== this.router.config) {
      this.router = new RedisRouter(config);
      this.applySettings();
    }
    return this.router;
  }

  /** The upstream pools of a cluster, following CDS/EDS changes; undefined for an unknown cluster. */
  upstream(name: string): RedisUpstreamCluster | undefined {
    const cluster = this.context.clusters.get(name);
    if (cluster !== undefined && cluster === this.lastCluster) {
      const last = this.lastUpstream!;
      last.syncEndpoints();
      return last;
    }
    let u = this.upstreams.get(name);
    if (cluster === undefined) {
      if (u) {
        u.close();
        this.upstreams.delete(name);
        if (u === this.lastUpstream) this.lastCluster = this.lastUpstream = null;
      }
      return undefined;
    }
    if (u === undefined || u.cluster !== cluster) {
      u?.close();
      u = new RedisUpstreamCluster(cluster, this.settings, this.store.scope(`redis_cluster.${name}`, REDIS_CLUSTER_STATS.counters));
      this.upstreams.set(name, u);
    } else u.syncEndpoints();
    this.lastCluster = cluster;
    this.lastUpstream = u;
    return u;
  }

  close(): void {
    for (const u of this.upstreams.values()) u.close();
    this.upstreams.clear();
    this.lastCluster = null;
    this.lastUpstream = null;
  }

  private configOf(): RedisListenerConfig {
    const c = this.context.config;
    return c.redis ?? { ...DEFAULT_REDIS_LISTENER, catchAll: { cluster: c.routeConfigName, mirrors: [] } };
  }

  private applySettings(): void {
    const c = this.router.config;
    Object.assign(this.settings, {
      opTimeoutMs: c.opTimeoutMs,
      maxBufferSizeBeforeFlush: c.maxBufferSizeBeforeFlush,
      bufferFlushTimeoutMs: c.bufferFlushTimeoutMs,
      readPolicy: c.readPolicy,
      enableHashtagging: c.enableHashtagging,
    });
  }
}
