import type { RetryPolicy } from "../config/types.ts";
import type { Cluster } from "../cluster/cluster.ts";
import type { EndpointState } from "../cluster/endpoint-state.ts";

/** What may trigger a retry (Envoy's retry_on). */
export type RetryOn = RetryPolicy["retryOn"][number];

/** Minimum retries allowed however low the active request count (Envoy's min_retry_concurrency). */
const MIN_RETRY_CONCURRENCY = 3;

/**
 * Whether an attempt that failed with `cause` may be retried: the policy retries on it, attempts
 * are left, and the cluster has a retry to spare under both its retry budget (a share of the
 * requests in flight) and max_retries. A retry refused by the cluster is counted as overflow.
 */
export function mayRetry(policy: RetryPolicy | undefined, attempts: number, cause: RetryOn, cluster: Cluster): boolean {
  if (policy === undefined || attempts > policy.attempts || !policy.retryOn.includes(cause)) return false;
  const retries = cluster.resources.retries;
  const budget = policy.budget !== undefined ? Math.max(MIN_RETRY_CONCURRENCY, policy.budget * cluster.resources.requests.current) : Number.POSITIVE_INFINITY;
  if (!retries.canCreate() || retries.current >= budget) {
    cluster.stats.inc("upstream_rq_retry_overflow");
    return false;
  }
  return true;
}

/**
 * A request that is being retried: it holds one retry of the cluster it first retried on (which
 * may be replaced meanwhile) until it finishes, and remembers the endpoints earlier attempts used
 * so that the next attempt avoids them (Istio's previous_hosts predicate).
 */
export class RetryState {
  readonly tried = new Set<EndpointState>();
  private released = false;

  constructor(private readonly cluster: Cluster) {
    cluster.resources.retries.inc();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.cluster.resources.retries.dec();
  }
}
