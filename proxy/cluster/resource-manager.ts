import type { ClusterConfig } from "../config/types.ts";

type CircuitBreakers = NonNullable<ClusterConfig["circuitBreakers"]>;

/**
 * One circuit-breaker resource: how many are in use and how many may be (Envoy's
 * ResourceManager resource). Whoever creates the resource asks `canCreate`, then counts it with
 * `inc` and releases it with `dec`; nobody else writes the count.
 */
export class ResourceLimit {
  private count = 0;

  constructor(private max: number | undefined) {}

  /** In use now. */
  get current(): number {
    return this.count;
  }

  /** The limit; undefined when unlimited. */
  get limit(): number | undefined {
    return this.max;
  }

  canCreate(): boolean {
    return this.max === undefined || this.count < this.max;
  }

  inc(): void {
    this.count++;
  }

  dec(): void {
    this.count--;
  }

  setLimit(max: number | undefined): void {
    this.max = max;
  }
}

/**
 * A cluster's resources and their circuit-breaker limits, the one owner of the counts: upstream
 * connections (max_connections), requests awaiting a response (max_requests) and requests on a
 * retry (max_retries). A limit changed by a cluster update applies to what is created next.
 */
export class ClusterResources {
  readonly connections = new ResourceLimit(undefined);
  readonly requests = new ResourceLimit(undefined);
  readonly retries = new ResourceLimit(undefined);
  /** Requests one connecting upstream client may queue (max_pending_requests); counted by the client. */
  maxPendingRequests: number | undefined;

  constructor(limits: CircuitBreakers | undefined) {
    this.configure(limits);
  }

  configure(limits: CircuitBreakers | undefined): void {
    this.connections.setLimit(limits?.maxConnections);
    this.requests.setLimit(limits?.maxRequests);
    this.retries.setLimit(limits?.maxRetries);
    this.maxPendingRequests = limits?.maxPendingRequests;
  }
}
