import type { CodecFactory } from "../codec/codec.ts";
import type { ListenerConfig } from "../config/types.ts";
import type { ClusterManager } from "../cluster/cluster-manager.ts";
import type { RouteTable } from "../route/route-table.ts";
import type { ListenerStat, StatScope } from "../stats/stats.ts";

/** What a connection needs from its listener; the config can be swapped under live connections. */
export interface ListenerContext {
  config: ListenerConfig;
  codecFactory: CodecFactory;
  stats: StatScope<ListenerStat>;
  clusters: ClusterManager;
  /** The route table current now, looked up per request. */
  routes(): RouteTable | undefined;
  connections: Set<{ close(): void }>;
}
