import type { CodecFactory } from "../codec/codec.ts";
import type { ClusterConfig, ClusterLoadAssignment, Endpoint, EndpointWorkload } from "../config/types.ts";
import type { UpstreamClient } from "../core/upstream-client.ts";
import { PROXY_STATS, type ClusterStat, type StatScope, type StatsStore } from "../stats/stats.ts";
import { EndpointPool, endpointKey, type UpstreamAffinity } from "./endpoint-pool.ts";
import { createLoadBalancer, type LoadBalancer } from "./load-balancer.ts";
import { OutlierDetector, isEjected, newOutlierState, type OutlierState } from "./outlier-detector.ts";

/** One endpoint of a cluster, with what load balancing and outlier detection track of it. */
export class EndpointState {
  readonly key: string;
  activeRequests = 0;
  readonly outlier: OutlierState = newOutlierState();
  /** Pools per codec: one upstream protocol per listener codec. */
  readonly pools = new Map<string, EndpointPool>();
  /** Who serves here, as the latest endpoint update says (labelled metrics). */
  workload: EndpointWorkload | undefined;

  constructor(readonly endpoint: Endpoint) {
    this.key = endpointKey(endpoint);
    this.workload = endpoint.workload;
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

export type PickResult = { ok: true; client: UpstreamClient; endpoint: EndpointState; cluster: Cluster } | { ok: false; kind: "no_cluster" | "no_healthy_endpoint" | "overflow"; message: string };

export class Cluster {
  endpoints: EndpointState[] = [];
  private lb: LoadBalancer<EndpointState>;
  private outlier: OutlierDetector | undefined;
  /** Requests sent and not yet answered, across endpoints (circuit breaker max_requests). */
  activeRequests = 0;
  /** Upstream connections opened and not closed (circuit breaker max_connections). */
  connections = 0;
  /** Requests currently on a retry attempt (retry budget, max_retries). */
  activeRetries = 0;
  private readonly usable = (e: EndpointState) => !isEjected(e.outlier, this.now);
  private readonly usableUntried = (e: EndpointState) => !isEjected(e.outlier, this.now) && !this.tried!.has(e);
  private now = 0;
  private tried: ReadonlySet<EndpointState> | undefined;

  constructor(
    public config: ClusterConfig,
    readonly stats: StatScope<ClusterStat>,
  ) {
    this.lb = createLoadBalancer(config.lbPolicy, this.endpoints);
    this.outlier = config.outlierDetection ? new OutlierDetector(config.outlierDetection) : undefined;
  }

  reconfigure(config: ClusterConfig): void {
    const lbChanged = config.lbPolicy !== this.config.lbPolicy;
    this.config = config;
    this.outlier = config.outlierDetection ? new OutlierDetector(config.outlierDetection) : undefined;
    if (lbChanged) this.lb = createLoadBalancer(config.lbPolicy, this.endpoints);
  }

  setEndpoints(endpoints: ReadonlyArray<Endpoint>): void {
    const existing = new Map(this.endpoints.map((e) => [e.key, e]));
    const next: EndpointState[] = [];
    for (const ep of endpoints) {
      const key = endpointKey(ep);
      const state = existing.get(key) ?? new EndpointState(ep);
      state.workload = ep.workload;
      next.push(state);
      existing.delete(key);
    }
    // Requests already sent to a removed endpoint finish; new ones go elsewhere.
    for (const gone of existing.values()) gone.drain();
    this.endpoints = next;
    this.lb = createLoadBalancer(this.config.lbPolicy, this.endpoints);
  }

  /**
   * An endpoint and upstream client for one attempt. `tried` holds endpoints earlier attempts of
   * the same request used; they are avoided while others are usable (Istio's default retry host
   * predicate, previous_hosts). With `affinity` (a downstream connection whose codec asks for
   * per-downstream upstream connections), the client is that connection's own for the endpoint.
   */
  pick(codecName: string, codecFactory: CodecFactory, hashKey: string | undefined, tried?: ReadonlySet<EndpointState>, affinity?: UpstreamAffinity): PickResult {
    const limits = this.config.circuitBreakers;
    if (limits?.maxRequests !== undefined && this.activeRequests >= limits.maxRequests) {
      this.stats.inc("upstream_rq_pending_overflow");
      return { ok: false, kind: "overflow", message: `cluster ${this.config.name}: max requests ${limits.maxRequests} reached` };
    }
    if (this.endpoints.length === 0) return { ok: false, kind: "no_healthy_endpoint", message: `cluster ${this.config.name} has no endpoints` };
    this.now = Date.now();
    let endpoint: EndpointState | undefined;
    if (tried !== undefined && tried.size > 0) {
      this.tried = tried;
      endpoint = this.lb.choose(hashKey, this.usableUntried);
      this.tried = undefined;
    }
    endpoint ??= this.lb.choose(hashKey, this.usable);
    if (endpoint === undefined) return { ok: false, kind: "no_healthy_endpoint", message: `every endpoint of cluster ${this.config.name} is ejected` };
    let pool = endpoint.pools.get(codecName);
    if (pool === undefined) {
      pool = new EndpointPool(endpoint.endpoint, this.config.connectionsPerEndpoint, codecFactory, this, this.config.connectTimeoutMs);
      endpoint.pools.set(codecName, pool);
    }
    const client = pool.client(affinity);
    // An idle client would open a socket: that too must fit under max connections.
    if (client === undefined || (!client.hasSocket && !this.mayOpenConnection())) {
      this.stats.inc("upstream_cx_overflow");
      return { ok: false, kind: "overflow", message: `cluster ${this.config.name}: max connections ${limits?.maxConnections} reached` };
    }
    if (limits?.maxPendingRequests !== undefined && !client.isConnected && client.queuedRequests >= limits.maxPendingRequests) {
      this.stats.inc("upstream_rq_pending_overflow");
      return { ok: false, kind: "overflow", message: `cluster ${this.config.name}: max pending requests ${limits.maxPendingRequests} reached` };
    }
    return { ok: true, client, endpoint, cluster: this };
  }

  /** Whether one more upstream connection may open (circuit breaker max_connections). */
  mayOpenConnection(): boolean {
    const max = this.config.circuitBreakers?.maxConnections;
    return max === undefined || this.connections < max;
  }

  /** Outcome of one request on an endpoint, for outlier detection. */
  recordResult(endpoint: EndpointState, ok: boolean): void {
    if (!this.outlier) return;
    const now = Date.now();
    if (!this.outlier.record(endpoint.outlier, ok, now)) return;
    if (!this.outlier.mayEject(this.ejectedCount(), this.endpoints.length)) return;
    this.outlier.eject(endpoint.outlier, now);
    this.stats.inc("outlier_detection_ejections");
  }

  ejectedCount(): number {
    const now = Date.now();
    return this.endpoints.filter((e) => isEjected(e.outlier, now)).length;
  }

  drain(): void {
    for (const e of this.endpoints) e.drain();
  }

  close(): void {
    for (const e of this.endpoints) e.close();
  }
}

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
