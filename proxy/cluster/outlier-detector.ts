import type { ClusterConfig } from "../config/types.ts";

export interface OutlierState {
  consecutiveErrors: number;
  ejectedUntil: number;
  ejections: number;
}

export function newOutlierState(): OutlierState {
  return { consecutiveErrors: 0, ejectedUntil: 0, ejections: 0 };
}

/**
 * Consecutive-error outlier detection (Envoy's consecutive_5xx / consecutive_gateway_failure for
 * meta protocols: connect failures, resets, timeouts and error replies count). An endpoint that
 * reaches the threshold is ejected for baseEjectionTime × number of ejections so far, unless that
 * would eject more than maxEjectionPercent of the cluster.
 */
export class OutlierDetector {
  constructor(private readonly config: NonNullable<ClusterConfig["outlierDetection"]>) {}

  /**
   * Counts one result. Returns true when the endpoint has now reached the threshold and is not
   * ejected yet — the caller then checks maxEjectionPercent (`mayEject`) and calls `eject`.
   * Successes cost one store; the cluster-wide count is only needed at that rare point.
   */
  record(state: OutlierState, ok: boolean, now: number): boolean {
    if (ok) {
      state.consecutiveErrors = 0;
      return false;
    }
    state.consecutiveErrors++;
    return state.consecutiveErrors >= this.config.consecutiveErrors && now >= state.ejectedUntil;
  }

  mayEject(ejectedCount: number, total: number): boolean {
    return total > 0 && ((ejectedCount + 1) / total) * 100 <= this.config.maxEjectionPercent;
  }

  eject(state: OutlierState, now: number): void {
    state.ejections++;
    state.ejectedUntil = now + this.config.baseEjectionTimeMs * state.ejections;
    state.consecutiveErrors = 0;
  }
}

export function isEjected(state: OutlierState, now: number): boolean {
  return state.ejectedUntil > now;
}
