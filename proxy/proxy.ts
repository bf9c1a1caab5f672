import type { ConfigSink } from "./config/config-sink.ts";
import type { ClusterConfig, ClusterLoadAssignment, ListenerConfig, RouteConfig } from "./config/types.ts";
import { ClusterManager } from "./cluster/cluster-manager.ts";
import { CodecRegistry } from "./codec/registry.ts";
import { ListenerManager } from "./core/listener-manager.ts";
import { createThriftCodec } from "./protocols/thrift/index.ts";
import { createDubboCodec } from "./protocols/dubbo/index.ts";
import { kafkaCodecWithStats } from "./protocols/kafka/index.ts";
import { RouteTable } from "./route/route-table.ts";
import { StatsStore } from "./stats/stats.ts";
import { AccessLogFiles } from "./access-log/access-log-files.ts";
import { RequestMetrics, type SourceWorkload } from "./stats/request-metrics.ts";
import { RateLimitClients } from "./filters/rate-limit-client.ts";
import { RequestTracer } from "./tracing/request-tracer.ts";
import type { SpanExport } from "./tracing/tracing-config.ts";
import { createRedisCodec } from "./protocols/redis/index.ts";
import { RedisListeners } from "./protocols/redis/redis-listener.ts";

export interface ProxyOptions {
  redirects?: Record<string, { host: string; port: number }> | undefined;
  /** How long a request may wait for its response when its route sets no timeout (default 15 s). */
  defaultTimeoutMs?: number;
  codecs?: CodecRegistry;
  /** Where access logs sent to `/dev/stdout` go instead (the bootstrap's `accessLogStdoutPath`). */
  accessLogStdoutPath?: string;
  /** Who this proxy serves, for the source labels of request metrics (default: unknown). */
  workload?: SourceWorkload;
  /** Where sampled requests' spans go; absent: listeners asking for tracing trace nothing. */
  tracing?: SpanExport;
}

/** The built-in codecs; a user's codec is registered the same way. */
export function defaultCodecRegistry(): CodecRegistry {
  return new CodecRegistry().register("thrift", createThriftCodec).register("dubbo", createDubboCodec).register("redis", createRedisCodec);
}

/**
 * The data plane: listeners, routes and clusters, configured only through the ConfigSink
 * methods (called by the xDS client, or directly by tests).
 */
export class Proxy implements ConfigSink {
  readonly stats = new StatsStore();
  readonly codecs: CodecRegistry;
  readonly clusters: ClusterManager;
  readonly listeners: ListenerManager;
  private readonly accessLogs: AccessLogFiles;
  readonly requestMetrics: RequestMetrics;
  private readonly tracer: RequestTracer | undefined;
  private readonly routeTables = new Map<string, RouteTable>();
  private readonly rateLimitClients = new RateLimitClients();
  /** The Redis listeners' shared state (routes, upstream pools), this proxy's own. */
  private readonly redisListeners = new RedisListeners(this.stats);
  private readonly updates = this.stats.scope("xds", ["listener_updates", "cluster_updates", "endpoint_updates", "route_updates"]);

  constructor(options: ProxyOptions = {}) {
    this.codecs = options.codecs ?? defaultCodecRegistry();
    // Kafka's codec publishes per-API stats into this proxy's store.
    if (!this.codecs.get("kafka")) this.codecs.register("kafka", kafkaCodecWithStats(this.stats));
    this.clusters = new ClusterManager(this.stats);
    this.accessLogs = new AccessLogFiles(options.accessLogStdoutPath);
    this.requestMetrics = new RequestMetrics(options.workload ?? { name: "unknown", namespace: "unknown", version: "unknown" });
    this.tracer = options.tracing !== undefined ? new RequestTracer(options.tracing, options.workload?.name ?? "meshsim-proxy") : undefined;
    this.listeners = new ListenerManager(
      this.codecs,
      this.clusters,
      this.stats,
      this.routeTables,
      this.accessLogs,
      this.requestMetrics,
      this.rateLimitClients,
      this.redisListeners,
      this.tracer,
      options.redirects,
      options.defaultTimeoutMs,
    );
  }

  async setListeners(listeners: ListenerConfig[]): Promise<void> {
    await this.listeners.setListeners(listeners);
    this.updates.inc("listener_updates");
  }

  setClusters(clusters: ClusterConfig[]): void {
    this.clusters.setClusters(clusters);
    this.updates.inc("cluster_updates");
  }

  setEndpoints(assignments: ClusterLoadAssignment[]): void {
    this.clusters.setEndpoints(assignments);
    this.updates.inc("endpoint_updates");
  }

  /** Compiles every table first, so one bad route rejects the whole update and changes nothing. */
  setRoutes(routes: RouteConfig[]): void {
    const compiled = routes.map((r) => new RouteTable(r));
    const names = new Set(routes.map((r) => r.name));
    for (const name of [...this.routeTables.keys()]) if (!names.has(name)) this.routeTables.delete(name);
    for (const table of compiled) this.routeTables.set(table.config.name, table);
    this.updates.inc("route_updates");
  }

  /** Resolves once every access log line written so far has reached its file. */
  flushAccessLogs(): Promise<void> {
    return this.accessLogs.flush();
  }

  configDump(): unknown {
    return {
      listeners: this.listeners.dump(),
      listenerAddresses: this.listeners.addresses(),
      routes: [...this.routeTables.values()].map((t) => t.config),
      clusters: this.clusters.dump(),
    };
  }

  async close(): Promise<void> {
    await this.listeners.close();
    this.clusters.close();
    this.rateLimitClients.close();
    this.redisListeners.close();
    await this.accessLogs.close();
    await this.tracer?.close();
  }
}
