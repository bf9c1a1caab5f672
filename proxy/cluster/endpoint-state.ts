import type { Endpoint, EndpointWorkload } from "../config/types.ts";
import { type EndpointPool, endpointKey } from "./endpoint-pool.ts";
import { newOutlierState, type OutlierState } from "./outlier-detector.ts";

/** One endpoint of a cluster, with what load balancing and outlier detection track of it. */
export class EndpointState {
  readonly key: string;
  /** Requests awaiting a response here (least request); counted by this endpoint's upstream clients. */
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
