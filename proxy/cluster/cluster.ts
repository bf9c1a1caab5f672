import type { CodecFactory } from "../codec/codec.ts";
import type { ClusterConfig, Endpoint } from "../config/types.ts";
import type { ClusterStat, StatScope } from "../stats/stats.ts";
import { EndpointPool, endpointKey, type UpstreamAffinity } from "./endpoint-pool.ts";
import { EndpointState } from "./endpoint-state.ts";
import { createLoadBalancer, type LoadBalancer } from "./load-balancer.ts";
import { OutlierDetector, isEjected } from "./outlier-detector.ts";
import { ClusterResources } from "./resource-manager.ts";
import type { UpstreamClient } from "./upstream-client.ts";

/** An attempt's upstream: the client to send on, its endpoint and cluster; or why there is none. */
export type PickResult = { ok: true; client: UpstreamClient; endpoint: EndpointState; cluster: Cluster } | { ok: false; kind: "no_cluster" | "no_healthy_endpoint" | "overflow"; message: string };

/**
 * One upstream cluster: its endpoints, load balancer, outlier detection and resources. `pick`
 * chooses an endpoint and a client of its pool within the circuit-breaker limits; the clients
 * report what they open and send to the cluster's resources and stats.
 */
export class Cluster {
  endpoints: EndpointState[] = [];
  private lb: LoadBalancer<EndpointState>;
  private outlier: OutlierDetector | undefined;
  /** Connections, requests and retries in use, and their circuit-breaker limits. */
  readonly resources: ClusterResources;
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
    this.resources = new ClusterResources(config.circuitBreakers);
  }

  reconfigure(config: ClusterConfig): void {
    const lbChanged = config.lbPolicy !== this.config.lbPolicy;
    this.config = config;
    this.resources.configure(config.circuitBreakers);
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
    const resources = this.resources;
    if (!resources.requests.canCreate()) {
      this.stats.inc("upstream_rq_pending_overflow");
      return { ok: false, kind: "overflow", message: `cluster ${this.config.name}: max requests ${resources.requests.limit} reached` };
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
      pool = new EndpointPool(endpoint.endpoint, this.config.connectionsPerEndpoint, codecFactory, { stats: this.stats, resources, load: endpoint }, this.config.connectTimeoutMs);
      endpoint.pools.set(codecName, pool);
    }
    const client = pool.client(affinity);
    // An idle client would open a socket: that too must fit under max connections.
    if (client === undefined || (!client.hasSocket && !resources.connections.canCreate())) {
      this.stats.inc("upstream_cx_overflow");
      return { ok: false, kind: "overflow", message: `cluster ${this.config.name}: max connections ${resources.connections.limit} reached` };
    }
    const maxPending = resources.maxPendingRequests;
    if (maxPending !== undefined && !client.isConnected && client.queuedRequests >= maxPending) {
      this.stats.inc("upstream_rq_pending_overflow");
      return { ok: false, kind: "overflow", message: `cluster ${this.config.name}: max pending requests ${maxPending} reached` };
    }
    return { ok: true, client, endpoint, cluster: this };
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
