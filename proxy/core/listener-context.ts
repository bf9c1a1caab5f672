import type { AccessLogSink } from "../access-log/access-log-entry.ts";
import type { RequestTracer } from "../tracing/request-tracer.ts";
import type { RequestMetrics } from "../stats/request-metrics.ts";
import type { CodecFactory } from "../codec/codec.ts";
import type { ListenerConfig } from "../config/types.ts";
import type { ClusterManager } from "../cluster/cluster-manager.ts";
import type { RequestFilter } from "../filters/filter.ts";
import type { RoutableRequest } from "../router/router-filter.ts";
import type { RouteTable } from "../route/route-table.ts";
import type { ListenerStat, StatScope } from "../stats/stats.ts";

/** What a connection needs from its listener; config and filters can be swapped under live connections. */
export interface ListenerContext {
  config: ListenerConfig;
  /** Creates the codec for one connection, with the listener's options applied. */
  codecFactory: CodecFactory;
  filters: RequestFilter<RoutableRequest>[];
  stats: StatScope<ListenerStat>;
  clusters: ClusterManager;
  /** The route table current now, looked up per request. */
  routes(): RouteTable | undefined;
  connections: Set<{ close(): void; readonly codec: { readonly counters?: Readonly<Record<string, number>> } }>;
  /** How long a request may wait for its response when its route sets no timeout. */
  defaultTimeoutMs: number;
  /** Where this listener's access log lines go; undefined when it logs nothing (checked per request). */
  accessLog: AccessLogSink | undefined;
  /** Set while the listener traces requests (and the proxy has somewhere to send spans). */
  tracer: RequestTracer | undefined;
  /** Istio's request count and duration, labelled; one per proxy. */
  requestMetrics: RequestMetrics;
  /** Codec counters of connections already closed. */
  retiredCodecCounters: Map<string, number>;
}
