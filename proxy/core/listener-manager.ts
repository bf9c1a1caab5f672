import { createServer, type Server } from "node:net";
import type { ListenerConfig } from "../config/types.ts";
import type { AccessLogSink } from "../access-log/access-log-entry.ts";
import type { AccessLogFiles } from "../access-log/access-log-files.ts";
import type { RequestMetrics } from "../stats/request-metrics.ts";
import type { RequestTracer } from "../tracing/request-tracer.ts";
import type { ClusterManager } from "../cluster/cluster-manager.ts";
import type { CodecFactory } from "../codec/codec.ts";
import type { CodecRegistry } from "../codec/registry.ts";
import { buildFilterChain } from "../filters/chain.ts";
import type { RouteTable } from "../route/route-table.ts";
import { PROXY_STATS, type StatsStore } from "../stats/stats.ts";
import { DEFAULT_REQUEST_TIMEOUT_MS } from "../router/timeouts.ts";
import { DownstreamConnection } from "./downstream-connection.ts";
import type { RedisListeners } from "../protocols/redis/redis-listener.ts";
import type { ListenerContext } from "./listener-context.ts";
import type { RateLimitClients } from "../filters/rate-limit-client.ts";

interface ActiveListener {
  context: ListenerContext;
  server: Server;
  bound: { host: string; port: number };
}

/**
 * Binds a TCP listener per ListenerConfig. An update that keeps the bind address swaps the
 * listener's config in place — live connections keep going and pick up the new route
 * configuration name on their next request.
 */
export class ListenerManager {
  private readonly listeners = new Map<string, ActiveListener>();

  constructor(
    private readonly codecs: CodecRegistry,
    private readonly clusters: ClusterManager,
    private readonly stats: StatsStore,
    private readonly routeTables: Map<string, RouteTable>,
    private readonly accessLogs: AccessLogFiles,
    private readonly requestMetrics: RequestMetrics,
    private readonly rateLimitClients: RateLimitClients,
    private readonly redis: RedisListeners,
    private readonly tracer: RequestTracer | undefined,
    private readonly redirects: Record<string, { host: string; port: number }> = {},
    private readonly defaultTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
  ) {
    stats.addProvider(() => this.codecCounters());
  }

  /** `listener.<name>.codec.<counter>`: closed connections' totals plus the live ones. */
  private *codecCounters(): Iterable<[string, number]> {
    for (const [name, l] of this.listeners) {
      const sums = new Map(l.context.retiredCodecCounters);
      for (const c of l.context.connections) {
        const counters = c.codec.counters;
        if (counters) for (const [k, v] of Object.entries(counters)) sums.set(k, (sums.get(k) ?? 0) + v);
      }
      for (const [k, v] of sums) yield [`listener.${name}.codec.${k}`, v];
    }
  }

  /** Throws (so the update is NACKed) when a codec is unknown or an address cannot be bound. */
  async setListeners(configs: ReadonlyArray<ListenerConfig>): Promise<void> {
    for (const config of configs) {
      if (!this.codecs.get(config.codec)) throw new Error(`listener ${config.name}: unknown codec "${config.codec}"`);
    }
    // The tracing SDK loads on first use, before any listener could start a span.
    if (this.tracer !== undefined && configs.some((c) => c.tracing !== undefined)) await this.tracer.ready();
    const wanted = new Set(configs.map((c) => c.name));
    for (const [name, active] of this.listeners) {
      if (!wanted.has(name)) {
        active.server.close();
        this.listeners.delete(name);
      }
    }
    for (const config of configs) {
      const bind = this.bindAddress(config);
      const existing = this.listeners.get(config.name);
      if (existing && existing.bound.host === bind.host && existing.bound.port === bind.port) {
        const previous = existing.context.config;
        existing.context.config = config;
        // Connections decode with the codec they started with; a different codec needs new ones.
        if (previous.codec !== config.codec) for (const c of existing.context.connections) c.close();
        existing.context.codecFactory = this.codecFactory(config);
        existing.context.accessLog = this.accessLogSink(config);
        existing.context.tracer = config.tracing !== undefined ? this.tracer : undefined;
        // Rebuilding filters would refill rate-limit buckets on every push: only when they changed.
        if (!sameFilterConfig(previous, config)) existing.context.filters = buildFilterChain(config, this.filterDeps());
        continue;
      }
      // Bind the new address first: if that fails the update is rejected and the old one stays.
      const opened = await this.open(config, bind);
      if (existing) existing.server.close();
      this.listeners.set(config.name, opened);
    }
  }

  addresses(): Record<string, { host: string; port: number }> {
    return Object.fromEntries([...this.listeners].map(([name, l]) => [name, l.bound]));
  }

  dump(): ListenerConfig[] {
    return [...this.listeners.values()].map((l) => l.context.config);
  }

  async close(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const l of this.listeners.values()) {
      closing.push(new Promise((resolve) => l.server.close(() => resolve())));
      for (const c of l.context.connections) c.close();
    }
    this.listeners.clear();
    await Promise.all(closing);
  }

  /** The registered codec with this listener's options bound in. */
  private codecFactory(config: ListenerConfig): CodecFactory {
    const factory = this.codecs.get(config.codec)!;
    const options = config.maxFrameSize !== undefined ? { maxFrameSize: config.maxFrameSize } : undefined;
    return options ? () => factory(options) : factory;
  }

  private accessLogSink(config: ListenerConfig): AccessLogSink | undefined {
    return config.accessLog ? this.accessLogs.sink(config.accessLog.path) : undefined;
  }

  private filterDeps() {
    return { stats: this.stats, resolve: (cluster: string) => this.clusters.resolve(cluster), rateLimitClients: this.rateLimitClients };
  }

  private bindAddress(config: ListenerConfig): { host: string; port: number } {
    const redirect = this.redirects[config.name];
    if (redirect) return redirect;
    // Sidecars here never bind beyond loopback.
    const host = config.address.host === "0.0.0.0" || config.address.host === "" ? "127.0.0.1" : config.address.host;
    return { host, port: config.address.port };
  }

  private async open(config: ListenerConfig, bind: { host: string; port: number }): Promise<ActiveListener> {
    const routeTables = this.routeTables;
    const context: ListenerContext = {
      config,
      codecFactory: this.codecFactory(config),
      filters: buildFilterChain(config, this.filterDeps()),
      stats: this.stats.scope(`listener.${config.name}`, PROXY_STATS.listener, PROXY_STATS.listenerGauges),
      clusters: this.clusters,
      routes() {
        return routeTables.get(this.config.routeConfigName);
      },
      connections: new Set(),
      defaultTimeoutMs: this.defaultTimeoutMs,
      accessLog: this.accessLogSink(config),
      requestMetrics: this.requestMetrics,
      tracer: config.tracing !== undefined ? this.tracer : undefined,
      retiredCodecCounters: new Map(),
    };
    // Redis routes on keys and slots, beyond what a codec expresses: it has a path of its own.
    const redis = this.redis;
    const server = createServer((socket) => (context.config.codec === "redis" ? redis.accept(socket, context) : new DownstreamConnection(socket, context)));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) => reject(new Error(`listener ${config.name}: cannot bind ${bind.host}:${bind.port}: ${err.message}`)));
      server.listen(bind.port, bind.host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : bind.port;
    return { context, server, bound: { host: bind.host, port } };
  }
}

/** Whether two versions of a listener configure the same filters (authorization, rate limits). */
function sameFilterConfig(a: ListenerConfig, b: ListenerConfig): boolean {
  return JSON.stringify([a.authorization, a.localRateLimit, a.globalRateLimit]) === JSON.stringify([b.authorization, b.localRateLimit, b.globalRateLimit]);
}
