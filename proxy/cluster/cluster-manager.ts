import type { CodecFactory } from "../codec/codec.ts";
import type { ClusterConfig, ClusterLoadAssignment, Endpoint } from "../config/types.ts";
import { PROXY_STATS, type StatsStore } from "../stats/stats.ts";
import { Cluster, type PickResult } from "./cluster.ts";
import type { UpstreamAffinity } from "./endpoint-pool.ts";
import type { EndpointState } from "./endpoint-state.ts";
import { isEjected } from "./outlier-detector.ts";

/**
 * Clusters and their endpoints as last received over CDS/EDS. A cluster removed while requests
 * are in flight drains: its connections close only after their responses are delivered.
 */
export class ClusterManager {
  private readonly clusters = new Map<string, Cluster>();
  /** Endpoints that arrived before their cluster (EDS may race CDS). */
  private readonly assignments = new Map<string, ReadonlyArray<Endpoint>>();

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
        existing.reconfigure(config);
        continue;
      }
      const scope = this.stats.scope(`cluster.${config.name}`, PROXY_STATS.cluster, PROXY_STATS.clusterGauges);
      const cluster = new Cluster(config, scope);
      const assignment = this.assignments.get(config.name);
      if (assignment) cluster.setEndpoints(assignment);
      this.clusters.set(config.name, cluster);
    }
  }

  setEndpoints(assignments: ReadonlyArray<ClusterLoadAssignment>): void {
    for (const a of assignments) {
      this.assignments.set(a.clusterName, a.endpoints);
      this.clusters.get(a.clusterName)?.setEndpoints(a.endpoints);
    }
  }

  get(clusterName: string): Cluster | undefined {
    return this.clusters.get(clusterName);
  }

  pick(clusterName: string, codecName: string, codecFactory: CodecFactory, hashKey?: string, tried?: ReadonlySet<EndpointState>, affinity?: UpstreamAffinity): PickResult {
    const cluster = this.clusters.get(clusterName);
    if (cluster === undefined) return { ok: false, kind: "no_cluster", message: `unknown cluster ${clusterName}` };
    return cluster.pick(codecName, codecFactory, hashKey, tried, affinity);
  }

  /** First endpoint of a cluster, for side services such as a rate-limit service. */
  resolve(clusterName: string): Endpoint | undefined {
    return this.clusters.get(clusterName)?.endpoints[0]?.endpoint ?? this.assignments.get(clusterName)?.[0];
  }

  clusterNames(): string[] {
    return [...this.clusters.keys()];
  }

  /** Each cluster's configuration with its endpoints' live state (the admin's /config_dump). */
  dump(): Array<ClusterConfig & { endpoints: Array<Endpoint & { activeRequests: number; ejected: boolean }> }> {
    const now = Date.now();
    return [...this.clusters.values()].map((c) => ({
      ...c.config,
      endpoints: c.endpoints.map((e) => ({ ...e.endpoint, activeRequests: e.activeRequests, ejected: isEjected(e.outlier, now) })),
    }));
  }

  close(): void {
    for (const c of this.clusters.values()) c.close();
    this.clusters.clear();
  }
}
