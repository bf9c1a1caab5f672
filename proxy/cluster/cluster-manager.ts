import type { CodecFactory } from "../codec/codec.ts";
import type { ClusterConfig, ClusterLoadAssignment, Endpoint } from "../config/types.ts";
import type { UpstreamClient } from "../core/upstream-client.ts";
import { PROXY_STATS, type ClusterStat, type StatScope, type StatsStore } from "../stats/stats.ts";
import { EndpointPool, endpointKey } from "./endpoint-pool.ts";

class Cluster {
  endpoints: Endpoint[] = [];
  private readonly pools = new Map<string, EndpointPool>();
  private rr = 0;

  constructor(
    public config: ClusterConfig,
    readonly stats: StatScope<ClusterStat>,
  ) {}

  /** Round-robin over the current endpoints; pools are kept per endpoint and codec. */
  pick(codecName: string, codecFactory: CodecFactory): UpstreamClient | undefined {
    const n = this.endpoints.length;
    if (n === 0) return undefined;
    const endpoint = this.endpoints[this.rr++ % n]!;
    if (this.rr >= n) this.rr = 0;
    const key = `${codecName}|${endpointKey(endpoint)}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new EndpointPool(endpoint, this.config.connectionsPerEndpoint, codecFactory, this.stats, this.config.connectTimeoutMs);
      this.pools.set(key, pool);
    }
    return pool.client();
  }

  setEndpoints(endpoints: ReadonlyArray<Endpoint>): void {
    this.endpoints = [...endpoints];
    const keep = new Set(this.endpoints.map(endpointKey));
    for (const [key, pool] of this.pools) {
      if (!keep.has(endpointKey(pool.endpoint))) {
        // Requests already sent to a removed endpoint finish; new ones go elsewhere.
        pool.drain();
        this.pools.delete(key);
      }
    }
  }

  drain(): void {
    for (const pool of this.pools.values()) pool.drain();
    this.pools.clear();
  }

  close(): void {
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }
}

export type PickResult = { ok: true; client: UpstreamClient } | { ok: false; kind: "no_cluster" | "no_healthy_endpoint" };

/**
 * Clusters and their endpoints as last received over CDS/EDS. A cluster removed while requests
 * are in flight drains: its connections close only after their responses are delivered.
 */
export class ClusterManager {
  private readonly clusters = new Map<string, Cluster>();
  /** Endpoints that arrived before their cluster (EDS may race CDS). */
  private readonly pendingAssignments = new Map<string, ReadonlyArray<Endpoint>>();

  constructor(private readonly stats: StatsStore) {}

  setClusters(configs: ReadonlyArray<ClusterConfig>): void {
    const names = new Set(configs.map((c) => c.name));
    for (const [name, cluster] of this.clusters) {
      if (!names.has(name)) {
        cluster.drain();
        this.clusters.delete(name);
      }
    }
    for (const config of configs) {
      const existing = this.clusters.get(config.name);
      if (existing) {
        existing.config = config;
        continue;
      }
      const scope = this.stats.scope(`cluster.${config.name}`, PROXY_STATS.cluster, PROXY_STATS.clusterGauges);
      const cluster = new Cluster(config, scope);
      const assignment = this.pendingAssignments.get(config.name);
      if (assignment) cluster.setEndpoints(assignment);
      this.clusters.set(config.name, cluster);
    }
  }

  setEndpoints(assignments: ReadonlyArray<ClusterLoadAssignment>): void {
    for (const a of assignments) {
      this.pendingAssignments.set(a.clusterName, a.endpoints);
      this.clusters.get(a.clusterName)?.setEndpoints(a.endpoints);
    }
  }

  pick(clusterName: string, codecName: string, codecFactory: CodecFactory): PickResult {
    const cluster = this.clusters.get(clusterName);
    if (cluster === undefined) return { ok: false, kind: "no_cluster" };
    const client = cluster.pick(codecName, codecFactory);
    if (client === undefined) return { ok: false, kind: "no_healthy_endpoint" };
    return { ok: true, client };
  }

  clusterNames(): string[] {
    return [...this.clusters.keys()];
  }

  dump(): Array<{ name: string; endpoints: Endpoint[] }> {
    return [...this.clusters.values()].map((c) => ({ name: c.config.name, endpoints: c.endpoints }));
  }

  close(): void {
    for (const c of this.clusters.values()) c.close();
    this.clusters.clear();
  }
}
